package lims.reporting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import lims.kernel.Backoff;
import lims.kernel.Database;
import lims.kernel.NodeConfig;
import lims.kernel.testing.TestDatabase;
import lims.reporting.ReportJobs.Job;
import lims.reporting.ReportJobs.Status;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The render worker on the real database and real threads: a report renders on the render
 * dispatcher's thread, is stored and filed; a render that loops past its time limit is
 * abandoned, tried again, then failed with the reason, and its thread is stopped, while the
 * next report still renders; a report refused as unreportable fails at once.
 */
@Tag("database")
class RenderWorkerTest {

  static ActorTestKit kit;
  static ReportJobs jobs;
  static ReportArchive archive;
  static RenderWorker worker;
  static final Set<Long> filed = ConcurrentHashMap.newKeySet();
  static final Set<String> renderThreads = ConcurrentHashMap.newKeySet();
  static final AtomicInteger loopsStarted = new AtomicInteger();
  static final AtomicInteger loopsRunning = new AtomicInteger();

  @BeforeAll
  static void start() {
    Config node = NodeConfig.load("test", TestDatabase.fresh("render_worker")).withFallback(ConfigFactory.load());
    kit = ActorTestKit.create("render-worker", node);
    Database database = Database.get(kit.system());
    jobs = new ReportJobs(database);
    archive = new ReportArchive(database);
    RenderWorker.Settings settings = new RenderWorker.Settings(Duration.ofMillis(800), 2, new Backoff(Duration.ofMillis(100), Duration.ofMillis(200)),
        Duration.ofSeconds(30), Duration.ofMillis(200));
    worker = new RenderWorker(kit.system(), jobs, RenderWorkerTest::prepare, new RenderSlots(1, Duration.ofMillis(500)), job -> {
      filed.add(job.jobId());
      return CompletableFuture.completedFuture(Done.getInstance());
    }, settings, "node-under-test", new SimpleMeterRegistry());
    worker.start();
  }

  @AfterAll
  static void stop() {
    if (worker != null) worker.stop();
    if (kit != null) kit.shutdownTestKit();
  }

  /** The test's report maker: the first specimen id says how its render behaves. */
  static CompletableFuture<Callable<StoredReport.Draft>> prepare(Job job, int version) {
    String specimen = job.specimenIds().get(0);
    if (specimen.endsWith("999999")) return CompletableFuture.failedFuture(new RenderWorker.Unreportable(specimen + " is CANCELLED, not approved"));
    Callable<StoredReport.Draft> render = () -> {
      renderThreads.add(Thread.currentThread().getName());
      if (specimen.endsWith("000666")) loopForever();
      byte[] pdf = ("%PDF " + job.reportId() + " v" + version).getBytes();
      return new StoredReport.Draft(job.specimenIds(), null, List.of(), 1, pdf, "cc".repeat(32), new byte[] {1}, "dd".repeat(32), 1);
    };
    return CompletableFuture.completedFuture(render);
  }

  /** A template that loops and ignores interruption, as a runaway render would. */
  @SuppressWarnings("InfiniteLoopStatement")
  static void loopForever() {
    loopsStarted.incrementAndGet();
    loopsRunning.incrementAndGet();
    try {
      long spin = 0;
      while (true) {
        spin++;
        if (spin < 0) break;
      }
    } finally {
      loopsRunning.decrementAndGet();
    }
  }

  @Test
  void aReportRendersOnItsOwnThreadAndIsStoredAndFiled() throws Exception {
    Job job = queue("SP-2026-000001");
    Job done = await(job, Status.DONE);
    assertEquals(1, done.version());
    assertTrue(filed.contains(job.jobId()));
    assertEquals("%PDF " + job.reportId() + " v1", new String(archive.file(job.reportId(), 1, ReportArchive.Format.PDF).toCompletableFuture().get().orElseThrow()));
    assertTrue(renderThreads.stream().allMatch(name -> name.startsWith("lims-report-render-")), "rendered on " + renderThreads);
  }

  @Test
  void aRenderThatLoopsIsAbandonedTriedAgainThenFailedAndTheNextReportStillRenders() throws Exception {
    Job looping = queue("SP-2026-000666");
    Job next = queue("SP-2026-000002");
    Job failed = await(looping, Status.FAILED);
    assertTrue(failed.lastError().startsWith("time limit"), failed.lastError());
    assertEquals(2, failed.attempts(), "tried as often as configured");
    assertEquals(2, loopsStarted.get());
    assertFalse(filed.contains(looping.jobId()));
    assertEquals(Status.DONE, await(next, Status.DONE).status(), "the next report renders after the runaway");
    awaitCondition(() -> loopsRunning.get() == 0, "the runaway render threads were stopped");
  }

  @Test
  void aReportThatCanNeverRenderFailsAtOnceWithItsReason() throws Exception {
    Job job = queue("SP-2026-999999");
    Job failed = await(job, Status.FAILED);
    assertEquals(1, failed.attempts());
    assertEquals("SP-2026-999999 is CANCELLED, not approved", failed.lastError());
  }

  private static Job queue(String specimenId) throws Exception {
    Job job = jobs.enqueue("test:" + specimenId, Optional.empty(), List.of(specimenId), null, "tester").toCompletableFuture().get();
    worker.nudge();
    return job;
  }

  private static Job await(Job job, Status status) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Job current = job;
    while (System.nanoTime() < deadline) {
      current = jobs.get(job.jobId()).toCompletableFuture().get().orElseThrow();
      if (current.status() == status) return current;
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    throw new AssertionError("job " + job.jobId() + " is " + current.status() + " (" + current.lastError() + "), not " + status);
  }

  private static void awaitCondition(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError(what);
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }
}
