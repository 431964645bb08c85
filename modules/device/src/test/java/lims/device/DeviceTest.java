package lims.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import lims.kernel.Rejection;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The Device entity on the in-memory journal; the testkit round-trips every message through CBOR. */
class DeviceTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));

  /** Finishes every operation at once. */
  static final InstrumentDriver INSTANT = (id, type, op, params) ->
      params.containsKey("simulate_failure")
          ? CompletableFuture.failedFuture(new IllegalStateException("lamp failure"))
          : CompletableFuture.completedFuture(Map.of("od600", 0.42));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static EventSourcedBehaviorTestKit<Device.Command, Device.Event, DeviceState> registered(String id) {
    var device = EventSourcedBehaviorTestKit.<Device.Command, Device.Event, DeviceState>create(testKit.system(), Device.create(id, INSTANT));
    device.<Device.Reply>runCommand(r -> new Device.Register("Reader " + id, DeviceType.PLATE_READER, List.of("96-well"), "admin", null, r));
    return device;
  }

  static String outcome(Device.Reply reply) {
    if (reply instanceof Device.Booked) return "booked";
    if (reply instanceof Device.Queued) return "queued";
    if (reply instanceof Device.Rejected r) return r.rejection().kind().name().toLowerCase();
    return "ok";
  }

  @Test
  void entityAgreesWithTheReferenceModelOnRandomSequences() {
    List<String> workflows = List.of("wf-a", "wf-b", "wf-c", "wf-d", "wf-e", "wf-f");
    for (long seed = 1; seed <= 12; seed++) {
      Random random = new Random(seed);
      var device = registered("reader-" + seed);
      QueueRulesModel model = new QueueRulesModel();
      for (int step = 0; step < 150; step++) {
        String wf = workflows.get(random.nextInt(workflows.size()));
        String expected;
        Device.Reply reply;
        String action;
        switch (random.nextInt(6)) {
          case 0 -> {
            action = "book " + wf;
            expected = model.book(wf);
            reply = device.<Device.Reply>runCommand(r -> new Device.Book(wf, List.of(), "tech", r)).reply();
          }
          case 1, 2 -> {
            Priority p = Priority.values()[random.nextInt(3)];
            action = "queue " + wf + " " + p;
            expected = model.enqueue(wf, p);
            reply = device.<Device.Reply>runCommand(r -> new Device.Enqueue(wf, p, List.of(), "tech", r)).reply();
          }
          case 3 -> {
            // Release mostly by the holder, sometimes by someone else.
            String who = model.holder != null && random.nextInt(4) > 0 ? model.holder : wf;
            action = "release " + who;
            expected = model.release(who);
            reply = device.<Device.Reply>runCommand(r -> new Device.Release(who, "tech", r)).reply();
          }
          case 4 -> {
            action = "cancel " + wf;
            expected = model.cancel(wf);
            reply = device.<Device.Reply>runCommand(r -> new Device.CancelQueued(wf, "tech", r)).reply();
          }
          default -> {
            OperationalStatus st = random.nextInt(3) == 0 ? OperationalStatus.values()[1 + random.nextInt(2)] : OperationalStatus.AVAILABLE;
            action = "status " + st;
            expected = model.setStatus(st);
            reply = device.<Device.Reply>runCommand(r -> new Device.SetStatus(st, "admin", r)).reply();
          }
        }
        String where = "seed " + seed + " step " + step + " (" + action + ")";
        assertEquals(expected, outcome(reply), where);
        DeviceState state = device.getState();
        assertEquals(Optional.ofNullable(model.holder), state.booking().map(Booking::workflowId), where);
        assertEquals(model.queueInServiceOrder(), state.queue().stream().map(QueueEntry::workflowId).toList(), where);
        assertEquals(model.status, state.status(), where);
      }
    }
  }

  @Test
  void rejectsSecondBookingWhileHeldNamingTheHolder() {
    var device = registered("reader-held");
    device.<Device.Reply>runCommand(r -> new Device.Book("wf-1", List.of(), "tech", r));
    var reply = (Device.Rejected) device.<Device.Reply>runCommand(r -> new Device.Book("wf-2", List.of(), "tech", r)).reply();
    assertEquals(Rejection.Kind.CONFLICT, reply.rejection().kind());
    assertEquals("wf-1", reply.rejection().facts().get("holder"));
    assertTrue(reply.rejection().facts().containsKey("booked_at"));
  }

  @Test
  void releaseGrantsNextUrgentBeforeAnEarlierNormalInOneWrite() {
    var device = registered("reader-urgent");
    device.<Device.Reply>runCommand(r -> new Device.Book("wf-holder", List.of(), "tech", r));
    device.<Device.Reply>runCommand(r -> new Device.Enqueue("wf-normal", Priority.NORMAL, List.of(), "tech", r));
    device.<Device.Reply>runCommand(r -> new Device.Enqueue("wf-urgent", Priority.URGENT, List.of(), "tech", r));
    var result = device.<Device.Reply>runCommand(r -> new Device.Release("wf-holder", "tech", r));
    assertEquals("wf-urgent", ((Device.Released) result.reply()).nextBooking().orElseThrow().workflowId());
    assertEquals(2, result.events().size(), "release and grant persisted together");
    assertTrue(result.events().get(1) instanceof Device.BookingGranted);
    assertEquals(List.of("wf-normal"), result.state().queue().stream().map(QueueEntry::workflowId).toList());
  }

  @Test
  void theGrantedHolderIsStillTheHolderAfterARestart() {
    var device = registered("reader-restart");
    device.<Device.Reply>runCommand(r -> new Device.Book("wf-1", List.of(), "tech", r));
    device.<Device.Reply>runCommand(r -> new Device.Enqueue("wf-2", Priority.LOW, List.of(), "tech", r));
    device.<Device.Reply>runCommand(r -> new Device.Release("wf-1", "tech", r));
    device.restart();
    assertEquals("wf-2", device.getState().booking().orElseThrow().workflowId());
    assertEquals(List.of(), device.getState().queue());
  }

  @Test
  void maintenanceKeepsTheQueueAndGrantsNothingUntilAvailable() {
    var device = registered("reader-maint");
    device.<Device.Reply>runCommand(r -> new Device.SetStatus(OperationalStatus.MAINTENANCE, "admin", r));
    assertEquals("queued", outcome(device.<Device.Reply>runCommand(r -> new Device.Enqueue("wf-1", Priority.NORMAL, List.of(), "tech", r)).reply()));
    assertEquals("conflict", outcome(device.<Device.Reply>runCommand(r -> new Device.Book("wf-2", List.of(), "tech", r)).reply()));
    device.<Device.Reply>runCommand(r -> new Device.SetStatus(OperationalStatus.AVAILABLE, "admin", r));
    assertEquals("wf-1", device.getState().booking().orElseThrow().workflowId());
  }

  @Test
  void onlyTheHolderExecutesAndOnlySupportedOperations() {
    var device = registered("reader-exec");
    device.<Device.Reply>runCommand(r -> new Device.Book("wf-1", List.of(), "tech", r));
    var notHolder = device.<Device.Reply>runCommand(r -> new Device.Execute("wf-2", "read_absorbance", Map.of(), "tech", r)).reply();
    assertEquals("forbidden", outcome(notHolder));
    var unsupported = device.<Device.Reply>runCommand(r -> new Device.Execute("wf-1", "incubate", Map.of(), "tech", r)).reply();
    assertEquals("invalid", outcome(unsupported));

    var started = (Device.ExecutionReply) device.<Device.Reply>runCommand(
        r -> new Device.Execute("wf-1", "read_absorbance", Map.of("wavelength_nm", 600), "tech", r)).reply();
    assertEquals("reader-exec.1", started.execution().executionId());
    var finished = (Device.ExecutionReply) device.<Device.Reply>runCommand(r -> new Device.AwaitExecution("reader-exec.1", r)).reply();
    assertEquals(Execution.SUCCEEDED, finished.execution().status());
    assertEquals(0.42, finished.execution().result().get("od600"));

    device.<Device.Reply>runCommand(r -> new Device.Execute("wf-1", "read_fluorescence", Map.of("simulate_failure", true), "tech", r));
    var failed = (Device.ExecutionReply) device.<Device.Reply>runCommand(r -> new Device.AwaitExecution("reader-exec.2", r)).reply();
    assertEquals(Execution.FAILED, failed.execution().status());
    assertEquals("lamp failure", failed.execution().result().get("error"));
  }

  @Test
  void anOperationCutOffByARestartIsLoggedAsInterruptedNotLeftRunning() {
    InstrumentDriver never = (id, type, op, params) -> new CompletableFuture<>();
    var device = EventSourcedBehaviorTestKit.<Device.Command, Device.Event, DeviceState>create(testKit.system(), Device.create("reader-cut", never));
    device.<Device.Reply>runCommand(r -> new Device.Register("Reader", DeviceType.PLATE_READER, List.of(), "admin", null, r));
    device.<Device.Reply>runCommand(r -> new Device.Book("wf-1", List.of(), "tech", r));
    device.<Device.Reply>runCommand(r -> new Device.Execute("wf-1", "read_absorbance", Map.of(), "tech", r));
    assertEquals(Execution.RUNNING, device.getState().recentExecutions().get("reader-cut.1").status());
    device.restart();
    var after = (Device.ExecutionReply) device.<Device.Reply>runCommand(r -> new Device.AwaitExecution("reader-cut.1", r)).reply();
    assertEquals(Execution.FAILED, after.execution().status());
    assertTrue(String.valueOf(after.execution().result().get("error")).startsWith("interrupted"));
  }

  /** A registration repeated with the Idempotency-Key's token is answered as it was, also after a restart; any other is a conflict. */
  @Test
  void aRepeatWithTheRegisteringTokenIsAnsweredAsTheRegistrationWas() {
    var device = EventSourcedBehaviorTestKit.<Device.Command, Device.Event, DeviceState>create(testKit.system(), Device.create("reader-key", INSTANT));
    device.<Device.Reply>runCommand(r -> new Device.Register("Reader", DeviceType.PLATE_READER, List.of(), "admin", "token-a", r));
    device.restart();
    var repeat = device.<Device.Reply>runCommand(r -> new Device.Register("Reader", DeviceType.PLATE_READER, List.of(), "admin", "token-a", r));
    assertTrue(repeat.reply() instanceof Device.Snapshot, String.valueOf(repeat.reply()));
    assertTrue(repeat.hasNoEvents());
    assertEquals("conflict", outcome(device.<Device.Reply>runCommand(r ->
        new Device.Register("Reader", DeviceType.PLATE_READER, List.of(), "admin", "token-b", r)).reply()));
    assertEquals("conflict", outcome(device.<Device.Reply>runCommand(r ->
        new Device.Register("Reader", DeviceType.PLATE_READER, List.of(), "admin", null, r)).reply()));
  }

  @Test
  void anInstrumentRunsOneOperationAtATime() {
    InstrumentDriver never = (id, type, op, params) -> new CompletableFuture<>();
    var device = EventSourcedBehaviorTestKit.<Device.Command, Device.Event, DeviceState>create(testKit.system(), Device.create("reader-busy", never));
    device.<Device.Reply>runCommand(r -> new Device.Register("Reader", DeviceType.PLATE_READER, List.of(), "admin", null, r));
    device.<Device.Reply>runCommand(r -> new Device.Book("wf-1", List.of(), "tech", r));
    device.<Device.Reply>runCommand(r -> new Device.Execute("wf-1", "read_absorbance", Map.of(), "tech", r));
    var second = (Device.Rejected) device.<Device.Reply>runCommand(r -> new Device.Execute("wf-1", "read_fluorescence", Map.of(), "tech", r)).reply();
    assertEquals(Rejection.Kind.CONFLICT, second.rejection().kind());
    assertEquals("reader-busy.1", second.rejection().facts().get("running"));
  }

  @Test
  void anUnregisteredDeviceIsNotFoundAndAsksItsShardToStopIt() {
    var shard = testKit.<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand>createTestProbe();
    var device = EventSourcedBehaviorTestKit.<Device.Command, Device.Event, DeviceState>create(testKit.system(),
        Device.create("ghost", INSTANT, shard.getRef()));
    assertEquals("not_found", outcome(device.<Device.Reply>runCommand(r -> new Device.Book("wf-1", List.of(), "tech", r)).reply()));
    assertTrue(device.getState().registration().isEmpty());
    // Else every look-up of a made-up id would leave an actor in memory for good (devices do not passivate).
    shard.expectMessageClass(org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.Passivate.class);
  }
}
