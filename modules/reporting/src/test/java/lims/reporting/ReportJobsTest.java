package lims.reporting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import lims.kernel.Database;
import lims.kernel.NodeConfig;
import lims.kernel.testing.TestDatabase;
import lims.reporting.ReportJobs.Job;
import lims.reporting.ReportJobs.Status;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The durable render queue on the real database: a trigger queues one job however often it
 * fires; many workers racing claim each job once; a job whose node stopped is claimed by
 * another once its lease lapses, and the stopped node can no longer store it; failures
 * retry, then fail, and a failed job can be retried by hand.
 */
@Tag("database")
class ReportJobsTest {

  static final Duration LEASE = Duration.ofSeconds(30);

  static ActorTestKit kit;
  static ReportJobs jobs;
  static ReportArchive archive;

  @BeforeAll
  static void start() {
    Config node = NodeConfig.load("test", TestDatabase.fresh("report_jobs")).withFallback(ConfigFactory.load());
    kit = ActorTestKit.create("report-jobs", node);
    jobs = new ReportJobs(Database.get(kit.system()));
    archive = new ReportArchive(Database.get(kit.system()));
  }

  @AfterAll
  static void stop() {
    if (kit != null) kit.shutdownTestKit();
  }

  @Test
  void aTriggerFiredManyTimesAtOnceQueuesOneJob() throws Exception {
    List<CompletableFuture<Job>> fired = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      fired.add(jobs.enqueue("auto:specimen:SP-2026-900001", Optional.empty(), List.of("SP-2026-900001"), null, "system").toCompletableFuture());
    }
    CompletableFuture.allOf(fired.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertEquals(1, fired.stream().map(f -> f.join().jobId()).distinct().count(), "every trigger answers the same job");
    assertEquals(1, jobs.list(Optional.empty(), 500, Optional.empty()).toCompletableFuture().get().items().stream()
        .filter(j -> j.triggerKey().equals("auto:specimen:SP-2026-900001")).count());
  }

  @Test
  void workersRacingForJobsClaimEachOnce() throws Exception {
    for (int i = 0; i < 10; i++) {
      jobs.enqueue("race-" + i, Optional.empty(), List.of("SP-2026-91000" + i), null, "system").toCompletableFuture().get();
    }
    ConcurrentHashMap<Long, String> claimedBy = new ConcurrentHashMap<>();
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < 8; w++) {
      String owner = "node-" + w;
      workers.add(CompletableFuture.runAsync(() -> {
        while (true) {
          Optional<Job> job = jobs.claim(owner, LEASE).toCompletableFuture().join();
          if (job.isEmpty()) return;
          String before = claimedBy.putIfAbsent(job.get().jobId(), owner);
          if (before != null) throw new AssertionError("job " + job.get().jobId() + " claimed by " + before + " and " + owner);
        }
      }));
    }
    CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    long raced = jobs.list(Optional.of(Status.RENDERING), 500, Optional.empty()).toCompletableFuture().get().items().stream()
        .filter(j -> j.triggerKey().startsWith("race-")).count();
    assertEquals(10, raced, "every job claimed");
    assertTrue(claimedBy.size() >= 10);
  }

  @Test
  void aJobWhoseNodeStoppedIsRenderedElsewhereAndStoredOnce() throws Exception {
    Job queued = jobs.enqueue("stopped-node", Optional.empty(), List.of("SP-2026-920001"), null, "system").toCompletableFuture().get();
    // Node A claims it with a short lease and stops (never renews).
    Job byA = claimUntil("node-a", Duration.ofMillis(300), queued.jobId());
    assertEquals(1, byA.attempts());
    // Node B finds it once the lease lapsed, on the database's clock.
    Job byB = awaitClaim("node-b", queued.jobId());
    assertEquals(2, byB.attempts(), "the interrupted render counts as a try");
    StoredReport.Draft draft = new StoredReport.Draft(List.of("SP-2026-920001"), null, List.of("a@lab.example"), 1, new byte[] {1, 2, 3}, "aa".repeat(32),
        new byte[] {4, 5}, "bb".repeat(32), 12);
    assertFalse(jobs.store(byA, "node-a", 1, draft).toCompletableFuture().get(), "node A lost its lease: it stores nothing");
    assertTrue(jobs.store(byB, "node-b", 1, draft).toCompletableFuture().get());
    List<StoredReport> versions = archive.versions(queued.reportId()).toCompletableFuture().get();
    assertEquals(1, versions.size());
    assertEquals(List.of("a@lab.example"), versions.get(0).recipients());
    assertArrayEquals(new byte[] {1, 2, 3}, archive.file(queued.reportId(), 1, ReportArchive.Format.PDF).toCompletableFuture().get().orElseThrow());
    assertEquals(List.of(queued.reportId()), archive.ofSpecimen("SP-2026-920001").toCompletableFuture().get().stream()
        .map(StoredReport::reportId).toList());
    assertTrue(jobs.done(byB.jobId(), "node-b").toCompletableFuture().get());
    assertEquals(Status.DONE, jobs.get(queued.jobId()).toCompletableFuture().get().orElseThrow().status());
  }

  @Test
  void aFailedTryIsQueuedAgainThenFailedAndCanBeRetriedByHand() throws Exception {
    Job queued = jobs.enqueue("failing", Optional.empty(), List.of("SP-2026-930001"), null, "system").toCompletableFuture().get();
    Job claimed = claimUntil("node-a", LEASE, queued.jobId());
    assertTrue(jobs.failed(claimed.jobId(), "node-a", "renderer crashed", Duration.ofMillis(1)).toCompletableFuture().get());
    Job again = awaitClaim("node-a", queued.jobId());
    assertEquals("renderer crashed", again.lastError());
    assertTrue(jobs.failed(again.jobId(), "node-a", "time limit", null).toCompletableFuture().get());
    Job failed = jobs.get(queued.jobId()).toCompletableFuture().get().orElseThrow();
    assertEquals(Status.FAILED, failed.status());
    assertEquals("time limit", failed.lastError());
    assertTrue(jobs.list(Optional.of(Status.FAILED), 100, Optional.empty()).toCompletableFuture().get().items().stream().anyMatch(j -> j.jobId() == queued.jobId()));
    assertTrue(jobs.retry(queued.jobId()).toCompletableFuture().get());
    assertFalse(jobs.retry(queued.jobId()).toCompletableFuture().get(), "only a failed job is retried");
    assertEquals(1, awaitClaim("node-b", queued.jobId()).attempts(), "its tries count afresh");
  }

  /** Claims until {@code jobId} is the one claimed (other tests' jobs may be due too). */
  private static Job claimUntil(String owner, Duration lease, long jobId) throws Exception {
    for (int i = 0; i < 200; i++) {
      Optional<Job> job = jobs.claim(owner, lease).toCompletableFuture().get();
      if (job.isPresent() && job.get().jobId() == jobId) return job.get();
      if (job.isEmpty()) break;
    }
    throw new AssertionError("job " + jobId + " was not claimed by " + owner);
  }

  private static Job awaitClaim(String owner, long jobId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      Optional<Job> job = jobs.claim(owner, LEASE).toCompletableFuture().get();
      if (job.isPresent() && job.get().jobId() == jobId) return job.get();
      if (job.isEmpty()) java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    throw new AssertionError("job " + jobId + " was never claimed by " + owner);
  }
}
