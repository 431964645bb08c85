package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How {@link Readiness} turns its checks into one report: every check bounded, a failure or a
 * silence a named reason (never an error), and probes sharing a run. The checks here are the
 * test's; the node's own are exercised in ReadinessTest and the acceptance tests.
 */
class ReadinessChecksTest {

  static final Duration BOUND = Duration.ofMillis(300);

  static Readiness.Check passing(String name) {
    return new Readiness.Check(name, bound -> CompletableFuture.completedFuture(Optional.empty()));
  }

  @Test
  void aCheckThatNeverAnswersFailsByItsBoundAndIsNamed() throws Exception {
    Readiness readiness = new Readiness(List.of(passing("membership"),
        new Readiness.Check("database", bound -> new CompletableFuture<>())), BOUND);
    long start = System.nanoTime();
    Readiness.Report report = readiness.report().toCompletableFuture().get(10, TimeUnit.SECONDS);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertFalse(report.ready());
    assertEquals(Map.of("membership", "ok", "database", "no answer within 300 ms"), report.checks());
    // The bound, plus the 0.5 s margin for a check that ignores it, plus room for a loaded machine.
    assertTrue(tookMs >= BOUND.toMillis() && tookMs < BOUND.toMillis() + 3_000, "answered by its bound and the margin, took " + tookMs + " ms");
    ProblemException problem = report.problem();
    assertEquals(503, problem.status());
    assertEquals("not ready: database: no answer within 300 ms", problem.detail());
  }

  @Test
  void aCheckThatFailsOrThrowsIsAReasonNotAnError() throws Exception {
    Readiness readiness = new Readiness(List.of(
        new Readiness.Check("journal", bound -> CompletableFuture.failedFuture(new IllegalStateException("Circuit Breaker is open"))),
        new Readiness.Check("sharding", bound -> { throw new IllegalStateException("no sharding"); }),
        new Readiness.Check("database", bound -> CompletableFuture.completedFuture(Optional.of("refused")))), BOUND);
    Readiness.Report report = readiness.report().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of("journal", "sharding", "database"), new ArrayList<>(report.checks().keySet()), "in the checks' order");
    assertEquals("journal: Circuit Breaker is open; sharding: no sharding; database: refused", report.failures());
  }

  @Test
  void probesDuringARunOrRightAfterItShareIt() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    CompletableFuture<Optional<String>> slow = new CompletableFuture<>();
    Readiness readiness = new Readiness(List.of(new Readiness.Check("database", bound -> {
      runs.incrementAndGet();
      return slow;
    })), Duration.ofSeconds(30));
    List<CompletableFuture<Readiness.Report>> probes = new ArrayList<>();
    for (int i = 0; i < 20; i++) probes.add(readiness.report().toCompletableFuture());
    slow.complete(Optional.empty());
    for (CompletableFuture<Readiness.Report> probe : probes) assertTrue(probe.get(10, TimeUnit.SECONDS).ready());
    assertTrue(readiness.report().toCompletableFuture().get(10, TimeUnit.SECONDS).ready(), "right after: the same run");
    assertEquals(1, runs.get(), "twenty-one probes, one run");
  }

  @Test
  void aReportOlderThanItsReuseIsNotGivenAgain() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    AtomicLong now = new AtomicLong();
    Readiness readiness = new Readiness(List.of(new Readiness.Check("database", bound -> {
      runs.incrementAndGet();
      return CompletableFuture.completedFuture(Optional.empty());
    })), BOUND, now::get);
    readiness.report().toCompletableFuture().get(10, TimeUnit.SECONDS);
    now.addAndGet(Readiness.REUSE.toNanos() - 1);
    readiness.report().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(1, runs.get(), "within " + Readiness.REUSE + " of the run: the same report");
    now.addAndGet(1);
    readiness.report().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(2, runs.get(), "older: a new run");
  }
}
