package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A run tells whoever awaits its dispatch when it leaves dispatching, as a device tells who awaits an execution. */
class AnalysisAwaitDispatchTest {

  static final ActorTestKit kit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final Pipeline PIPELINE = new Pipeline("seq", "host", 22, "lims", Path.of("/k"), Path.of("/kh"),
      CommandTemplate.parse("run {specimen_id} --out {result_dir}"), Path.of("/results"), Duration.ofHours(12), "lims");
  static final Pipelines PIPELINES = new Pipelines(Map.of("seq", PIPELINE), Map.of(), "seq");

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  Analysis.Status awaitWhile(String id, int attempts, java.util.function.Consumer<AnalysisTest.ScriptedHost> dispatch) throws Exception {
    var host = new AnalysisTest.ScriptedHost();
    var policy = new Analysis.DispatchPolicy(attempts, new lims.kernel.Backoff(Duration.ofSeconds(2), Duration.ofMinutes(1)));
    var run = kit.spawn(Analysis.create(id, PIPELINES, host, policy, Clock.systemUTC()));
    var probe = kit.<Analysis.Reply>createTestProbe();
    run.tell(new Analysis.Request("SP-2026-000001", "LAB-1", List.of("wgs"), null, Map.of(), probe.getRef()));
    assertEquals(Analysis.Status.DISPATCHING, ((Analysis.Current) probe.receiveMessage()).analysis().status());
    run.tell(new Analysis.AwaitDispatch(probe.getRef()));
    probe.expectNoMessage(Duration.ofMillis(200)); // still dispatching: nothing yet
    dispatch.accept(host);
    Analysis.Status told = ((Analysis.Current) probe.receiveMessage(Duration.ofSeconds(5))).analysis().status();
    // Once it has left dispatching, an await is answered at once.
    run.tell(new Analysis.AwaitDispatch(probe.getRef()));
    assertEquals(told, ((Analysis.Current) probe.receiveMessage(Duration.ofSeconds(5))).analysis().status());
    return told;
  }

  @Test
  void theAwaitingAreToldWhenTheStartIsConfirmed() throws Exception {
    assertEquals(Analysis.Status.RUNNING, awaitWhile("AN-SP-2026-900001-1", 3, host -> next(host).complete(Done.getInstance())));
  }

  @Test
  void theAwaitingAreToldWhenTheDispatchFails() throws Exception {
    assertEquals(Analysis.Status.FAILED, awaitWhile("AN-SP-2026-900002-1", 1,
        host -> next(host).completeExceptionally(new RuntimeException("connection refused"))));
  }

  private static java.util.concurrent.CompletableFuture<Done> next(AnalysisTest.ScriptedHost host) {
    try {
      return host.nextStart();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
