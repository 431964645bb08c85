package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The results stream on a real folder: the watch path, the rescan path, and a folder that disappears and comes back. */
class ResultsWatcherTest {

  static final ActorTestKit kit = ActorTestKit.create();
  static final ExecutorService io = Executors.newFixedThreadPool(2);

  @TempDir Path tmp;
  UniqueKillSwitch running;

  @AfterEach
  void stopStream() {
    if (running != null) running.shutdown();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
    io.shutdownNow();
  }

  TestProbe<ResultsFolder.Found> watch(Path folder, boolean watch, Duration rescan) {
    TestProbe<ResultsFolder.Found> delivered = kit.createTestProbe();
    var settings = new ResultsWatcher.Settings(rescan, watch, 256 * 1024, Duration.ofMillis(100), Duration.ofMillis(300),
        "pekko.actor.default-blocking-io-dispatcher");
    running = ResultsWatcher.source(folder, settings, io, () -> CompletableFuture.completedFuture(Set.of()), found -> {
          delivered.getRef().tell(found);
          return CompletableFuture.completedFuture(ResultsWatcher.Outcome.RECORDED);
        })
        .viaMat(KillSwitches.single(), Keep.right())
        .to(Sink.ignore())
        .run(kit.system());
    return delivered;
  }

  static void result(Path folder, String id, String status) throws Exception {
    Path dir = Files.createDirectories(folder.resolve(id));
    Files.writeString(dir.resolve(".tmp"), "{\"status\":\"" + status + "\"}");
    Files.move(dir.resolve(".tmp"), dir.resolve("result.json"), StandardCopyOption.ATOMIC_MOVE);
  }

  /** The rescan is an hour away; a loaded two-core machine took over 5 s to pass an event on. */
  static final Duration WELL_BEFORE_THE_RESCAN = Duration.ofSeconds(30);

  @Test
  void fileSystemEventsFindAResultLongBeforeTheNextRescan() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("local"));
    var delivered = watch(folder, true, Duration.ofHours(1));
    // The first rescan runs at start; give the watch a pending folder to register, then the result.
    Files.createDirectories(folder.resolve("AN-SP-2026-000001-1"));
    delivered.expectNoMessage(Duration.ofMillis(300));
    result(folder, "AN-SP-2026-000001-1", "succeeded");
    assertEquals("AN-SP-2026-000001-1", delivered.expectMessageClass(ResultsFolder.Found.class, WELL_BEFORE_THE_RESCAN).analysisId());
    result(folder, "AN-SP-2026-000002-1", "failed");
    assertEquals("failed", delivered.expectMessageClass(ResultsFolder.Found.class, WELL_BEFORE_THE_RESCAN).status());
    delivered.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void withoutEventsTheRescanFindsTheResult() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("nfs"));
    var delivered = watch(folder, false, Duration.ofMillis(200));
    result(folder, "AN-SP-2026-000003-1", "succeeded");
    assertEquals("AN-SP-2026-000003-1", delivered.expectMessageClass(ResultsFolder.Found.class, Duration.ofSeconds(5)).analysisId());
    delivered.expectNoMessage(Duration.ofMillis(600));
  }

  @Test
  void aFolderThatDisappearsIsWaitedForAndWhatArrivedMeanwhileIsFound() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("mount"));
    var delivered = watch(folder, true, Duration.ofMillis(200));
    result(folder, "AN-SP-2026-000004-1", "succeeded");
    delivered.expectMessageClass(ResultsFolder.Found.class, Duration.ofSeconds(5));
    // The mount is lost: the folder is gone, then back with a result written while it was away.
    Files.walk(folder).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    delivered.expectNoMessage(Duration.ofMillis(500));
    Path staging = Files.createDirectories(tmp.resolve("staging"));
    result(staging, "AN-SP-2026-000005-1", "succeeded");
    Files.move(staging, folder, StandardCopyOption.ATOMIC_MOVE);
    assertEquals("AN-SP-2026-000005-1", delivered.expectMessageClass(ResultsFolder.Found.class, Duration.ofSeconds(10)).analysisId());
  }
}
