package lims.bench.scheduler;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.locks.LockSupport;
import lims.bench.DeviceBenchAccess;

/**
 * ./lims bench scheduler: the same workload through this scheduler, db-scheduler and Quartz,
 * one after the other in one JVM against one local PostgreSQL (fsync and synchronous commit
 * on), each on a fresh database. Per contender: steps of rising rate (tasks scheduled ahead
 * and due uniformly over the step), the highest step with ≥ 99 % started within 1 s of its
 * instant, p99 lateness ≤ 1 s and no growing backlog, is its sustained rate; then a burst
 * of 10,000 tasks due at one instant. Every start is recorded; duplicates and misses counted.
 */
public final class SchedulerBench {

  static final int[] RATES = Arrays.stream(System.getProperty("bench.rates", "100,200,500,1000,2000,3000,5000,8000,12000").split(","))
      .mapToInt(Integer::parseInt).toArray();
  static final int STEP_SECONDS = Integer.getInteger("bench.step-seconds", 15);
  static final int BURST = Integer.getInteger("bench.burst", 10_000);
  static final int THREADS = Integer.getInteger("bench.threads", 64);
  /** Tasks per round of the creation probe; 0 (the default) runs the steps and the burst instead. */
  static final int CREATION_PROBE = Integer.getInteger("bench.creation-probe", 0);
  /** Rates of the firing probe; empty (the default) runs the steps and the burst instead. */
  static final int[] FIRING_PROBE = Arrays.stream(System.getProperty("bench.firing-probe", "").split(",")).filter(r -> !r.isBlank())
      .mapToInt(Integer::parseInt).toArray();
  /** Whether the firing probe restarts the scheduler between scheduling a step's tasks and their first instant. */
  static final boolean FIRING_RESTART = Boolean.getBoolean("bench.firing-restart");
  static final Duration LEAD = Duration.ofSeconds(5);
  static final Duration GRACE = Duration.ofSeconds(30);

  /** A step's outcome; {@code cpu}: core-seconds per 1,000 tasks, this JVM / PostgreSQL, from its first hand-over to its last start. */
  record Step(int rate, int tasks, double onTime, Lateness lateness, long duplicates, long misses, boolean growing, boolean creationLate,
      String cpu) {
    boolean sustained() {
      return onTime >= 0.99 && lateness.p99 <= 1000 && !growing && misses == 0 && !creationLate;
    }
  }

  record Lateness(double p50, double p99, double max) {
    static Lateness of(List<Long> millis) {
      long[] sorted = millis.stream().mapToLong(Long::longValue).sorted().toArray();
      if (sorted.length == 0) return new Lateness(0, 0, 0);
      return new Lateness(sorted[(int) Math.ceil(0.5 * sorted.length) - 1], sorted[(int) Math.ceil(0.99 * sorted.length) - 1],
          sorted[sorted.length - 1]);
    }

    @Override
    public String toString() {
      return String.format("%.0f / %.0f / %.0f ms", p50, p99, max);
    }
  }

  record Burst(int tasks, double drainSeconds, Lateness lateness, long duplicates, long misses, boolean creationLate, String cpu) {}

  record Result(String name, List<Step> steps, Burst burst) {
    int sustained() {
      return steps.stream().filter(Step::sustained).mapToInt(Step::rate).max().orElse(0);
    }

    Step at(int rate) {
      return steps.stream().filter(s -> s.rate == rate).findFirst().orElse(null);
    }
  }

  public static void main(String[] args) {
    try {
      runAll();
      System.exit(0);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1);
    }
  }

  static void runAll() throws Exception {
    lims.kernel.CommonPool.ensureParallelism();
    List<String> only = List.of(System.getProperty("bench.contenders", "lims,db-scheduler,quartz").split(","));
    if (Integer.getInteger("bench.journal-ceiling", 0) > 0) {
      JournalCeiling.run(Integer.getInteger("bench.journal-ceiling"));
      return;
    }
    if (CREATION_PROBE > 0) {
      for (String which : only) creationProbe(which);
      return;
    }
    if (FIRING_PROBE.length > 0) {
      for (String which : only) firingProbe(which);
      return;
    }
    List<Result> results = new ArrayList<>();
    for (String which : only) {
      try (Contender c = open(which)) {
        System.err.println("[bench] " + c.name());
        results.add(run(c, which));
      }
    }
    report(results);
  }

  /**
   * Scheduling alone, nothing firing: rounds of {@link #CREATION_PROBE} tasks due an hour
   * later, handed over as fast as the contender takes them. Shows what creating a task
   * costs apart from running it (docs/benchmarks.md).
   */
  static void creationProbe(String which) throws Exception {
    try (Contender c = open(which)) {
      for (int round = 1; round <= 4; round++) {
        Instant due = Instant.now().plusSeconds(3600);
        List<Contender.Task> tasks = new ArrayList<>();
        for (int i = 0; i < CREATION_PROBE; i++) tasks.add(new Contender.Task(which + "-probe-" + round + "-" + i, due));
        long t0 = System.nanoTime();
        c.schedule(tasks);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.err.printf("[bench] %s: round %d, %d tasks scheduled in %.2f s: %.0f/s%n", c.name(), round, CREATION_PROBE, seconds,
            CREATION_PROBE / seconds);
      }
    }
  }

  /**
   * Firing alone: each step's tasks are all scheduled before the first is due (as a lab
   * schedules its tests well ahead), so the step measures running them, not handing them
   * over. With {@link #FIRING_RESTART} the scheduler is restarted in between, and every task
   * runs from what was stored, as tests scheduled days ahead do (docs/benchmarks.md).
   */
  static void firingProbe(String which) throws Exception {
    try (Contender c = open(which)) {
      for (int rate : FIRING_PROBE) {
        int n = rate * STEP_SECONDS;
        // Room to schedule them all at 2,000/s, and to restart.
        List<Contender.Task> tasks = uniform(which + "-fire-r" + rate, Instant.now().plusSeconds(20 + n / 2000), rate);
        Instant t0 = tasks.get(0).due();
        CpuUse cpu = CpuUse.now();
        long s0 = System.nanoTime();
        c.schedule(tasks);
        double scheduled = (System.nanoTime() - s0) / 1e9;
        if (FIRING_RESTART) c.restart();
        boolean late = Instant.now().isAfter(t0.minusSeconds(2));
        Step step = outcome(rate, tasks, late, cpu);
        analyze(c);
        System.err.printf("[bench] %s: firing %d/s%s (%d scheduled in %.1f s%s): %s, sustained %s%n", c.name(), rate,
            FIRING_RESTART ? " after a restart" : "", n, scheduled, late ? ", too late" : "", step, step.sustained() ? "yes" : "no");
      }
    }
  }

  static Contender open(String which) throws Exception {
    return switch (which) {
      case "lims" -> new LimsContender();
      case "db-scheduler" -> new DbSchedulerContender(pool("dbscheduler"), THREADS);
      case "quartz" -> new QuartzContender(pool("quartz"), THREADS);
      default -> throw new IllegalArgumentException("unknown contender " + which);
    };
  }

  static HikariDataSource pool(String prefix) throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(DeviceBenchAccess.freshDatabase("bench_" + prefix));
    config.setUsername(DeviceBenchAccess.user());
    config.setMaximumPoolSize(THREADS + 8);
    return new HikariDataSource(config);
  }

  static Result run(Contender c, String prefix) throws Exception {
    List<Step> steps = new ArrayList<>();
    for (int rate : RATES) {
      Step step = step(c, prefix + "-r" + rate, rate);
      steps.add(step);
      analyze(c);
      System.err.println("[bench]   " + rate + "/s: " + step);
      if (!step.sustained()) break;
    }
    Burst burst = burst(c, prefix + "-burst");
    System.err.println("[bench]   burst: " + burst);
    return new Result(c.name(), steps, burst);
  }

  /**
   * Planner statistics for the contender's tables, as autovacuum keeps them on a database that
   * has lived longer than a minute. Each contender starts on a fresh, never analysed database;
   * without this its plans are those of empty tables for the first minute of the run (the
   * journal's tag queries then sorted whole ranges instead of reading an index in order).
   */
  static void analyze(Contender c) throws Exception {
    DeviceBenchAccess.execute(c.database(), "ANALYZE");
  }

  /** Tasks due uniformly at {@code rate} for STEP_SECONDS, each second's worth scheduled LEAD ahead of its first instant. */
  static Step step(Contender c, String prefix, int rate) throws Exception {
    Instant t0 = Instant.now().plus(LEAD);
    List<Contender.Task> tasks = uniform(prefix, t0, rate);
    CpuUse cpu = CpuUse.now();
    boolean late = false;
    for (int second = 0; second < STEP_SECONDS; second++) {
      waitUntil(t0.plusSeconds(second).minus(LEAD));
      long s0 = System.nanoTime();
      c.schedule(tasks.subList(second * rate, (second + 1) * rate));
      long took = (System.nanoTime() - s0) / 1_000_000;
      if (took > 1000) System.err.println("[bench]     scheduling " + rate + " tasks took " + took + " ms");
      // Each second's tasks are handed over at the start of their slot; finishing more than a
      // second after the slot's end means creation runs slower than the rate and would fall
      // ever further behind in a longer step.
      if (Instant.now().isAfter(t0.plusSeconds(second).minus(LEAD).plusSeconds(2))) late = true;
    }
    return outcome(rate, tasks, late, cpu);
  }

  /** A step's tasks: STEP_SECONDS of them at {@code rate}, due uniformly from {@code t0}. */
  static List<Contender.Task> uniform(String prefix, Instant t0, int rate) {
    int n = rate * STEP_SECONDS;
    List<Contender.Task> tasks = new ArrayList<>(n);
    for (int i = 0; i < n; i++) tasks.add(new Contender.Task(prefix + "-" + i, t0.plusNanos(i * 1_000_000_000L / rate)));
    return tasks;
  }

  /** How a step's tasks, due uniformly at {@code rate}, were run: waits for their starts, then counts. */
  static Step outcome(int rate, List<Contender.Task> tasks, boolean late, CpuUse cpu) {
    int n = tasks.size();
    Instant last = tasks.get(n - 1).due();
    awaitStarts(tasks, last.plus(GRACE));
    List<Long> lateness = new ArrayList<>();
    List<Long> first = new ArrayList<>();
    List<Long> lastFifth = new ArrayList<>();
    long duplicates = 0;
    long misses = 0;
    long onTime = 0;
    for (int i = 0; i < n; i++) {
      Queue<Instant> starts = Contender.STARTS.get(tasks.get(i).id());
      if (starts == null || starts.isEmpty()) {
        misses++;
        continue;
      }
      if (starts.size() > 1) duplicates++;
      long ms = Duration.between(tasks.get(i).due(), starts.stream().min(Instant::compareTo).orElseThrow()).toMillis();
      lateness.add(ms);
      if (ms <= 1000) onTime++;
      if (i < n / 5) first.add(ms);
      if (i >= n - n / 5) lastFifth.add(ms);
    }
    boolean growing = Lateness.of(lastFifth).p50 > Lateness.of(first).p50 + 250;
    return new Step(rate, n, (double) onTime / n, Lateness.of(lateness), duplicates, misses, growing, late, CpuUse.now().perThousand(cpu, n));
  }

  static Burst burst(Contender c, String prefix) throws Exception {
    // Scheduled well ahead: how long creating 10,000 takes is not what is measured.
    List<Contender.Task> tasks = new ArrayList<>(BURST);
    CpuUse cpu = CpuUse.now();
    Instant created = Instant.now();
    Instant due = created.plusSeconds(Integer.getInteger("bench.burst-lead-seconds", 60));
    for (int i = 0; i < BURST; i++) tasks.add(new Contender.Task(prefix + "-" + i, due));
    c.schedule(tasks);
    boolean late = Instant.now().isAfter(due.minusSeconds(1));
    awaitStarts(tasks, due.plus(Duration.ofMinutes(3)));
    List<Long> lateness = new ArrayList<>();
    long duplicates = 0;
    long misses = 0;
    Instant lastStart = due;
    for (Contender.Task t : tasks) {
      Queue<Instant> starts = Contender.STARTS.get(t.id());
      if (starts == null || starts.isEmpty()) {
        misses++;
        continue;
      }
      if (starts.size() > 1) duplicates++;
      Instant start = starts.stream().min(Instant::compareTo).orElseThrow();
      lateness.add(Duration.between(due, start).toMillis());
      if (start.isAfter(lastStart)) lastStart = start;
    }
    return new Burst(BURST, Duration.between(due, lastStart).toMillis() / 1000.0, Lateness.of(lateness), duplicates, misses, late,
        CpuUse.now().perThousand(cpu, BURST));
  }

  /** Until every task has started (then 2 s more, to catch duplicates) or the deadline passes. */
  static void awaitStarts(List<Contender.Task> tasks, Instant deadline) {
    // Tasks are in due order and a start is never taken back, so each look resumes at the first
    // task not yet started: looking again from the first task every 200 ms took ~3 % of the
    // CPU from the scheduler under test at 5,000 tasks/s (JFR).
    int firstNotStarted = 0;
    while (Instant.now().isBefore(deadline)) {
      while (firstNotStarted < tasks.size() && Contender.STARTS.containsKey(tasks.get(firstNotStarted).id())) firstNotStarted++;
      if (firstNotStarted == tasks.size()) {
        waitUntil(Instant.now().plusSeconds(2));
        return;
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
  }

  static void waitUntil(Instant t) {
    long nanos = Duration.between(Instant.now(), t).toNanos();
    if (nanos > 0) LockSupport.parkNanos(nanos);
  }

  static void report(List<Result> results) {
    List<String> out = new ArrayList<>();
    out.add("## Scheduler benchmark (`./lims bench scheduler`)");
    out.add("");
    out.add("- machine: " + Runtime.getRuntime().availableProcessors() + " cores, JVM max heap "
        + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax() / (1024 * 1024) + " MB, " + System.getProperty("java.version")
        + "; one local PostgreSQL, fsync and synchronous_commit on; date " + Instant.now());
    out.add("- steps of " + STEP_SECONDS + " s at " + Arrays.toString(RATES) + " tasks/s, scheduled " + LEAD.toSeconds()
        + " s ahead; " + THREADS + " worker threads for db-scheduler and Quartz; a no-op task that records its start");
    out.add("");
    out.add("| scheduler | sustained executions/s | lateness p50/p99/max at 200/s | at 1,000/s | burst of " + BURST + ": drain | burst lateness p50/p99/max | duplicates | misses"
        + " | burst CPU per 1,000 tasks, core-s: JVM / PostgreSQL |");
    out.add("|---|---|---|---|---|---|---|---|---|");
    for (Result r : results) {
      long dups = r.steps.stream().mapToLong(Step::duplicates).sum() + r.burst.duplicates;
      long misses = r.steps.stream().mapToLong(Step::misses).sum() + r.burst.misses;
      out.add("| " + r.name + " | " + r.sustained() + " | " + describe(r.at(200)) + " | " + describe(r.at(1000)) + " | "
          + String.format("%.1f s", r.burst.drainSeconds) + " | " + r.burst.lateness + " | " + dups + " | " + misses + " | " + r.burst.cpu + " |");
    }
    out.add("");
    out.add("| scheduler | step | on time (≤ 1 s) | lateness p50/p99/max | duplicates | misses | backlog growing | scheduling kept up"
        + " | CPU per 1,000 tasks, core-s: JVM / PostgreSQL |");
    out.add("|---|---|---|---|---|---|---|---|---|");
    for (Result r : results) {
      for (Step s : r.steps) {
        out.add("| " + r.name + " | " + s.rate + "/s | " + String.format("%.2f %%", s.onTime * 100) + " | " + s.lateness + " | " + s.duplicates
            + " | " + s.misses + " | " + (s.growing ? "yes" : "no") + " | " + (s.creationLate ? "no" : "yes") + " | " + s.cpu + " |");
      }
    }
    if (results.size() == 3) {
      Result lims = results.get(0);
      out.add("");
      for (Result other : results.subList(1, 3)) {
        // The same load for both: 1,000/s when both sustained it, else 200/s.
        int rate = sustainedAt(lims, 1000) && sustainedAt(other, 1000) ? 1000 : 200;
        Step a = lims.at(rate);
        Step b = other.at(rate);
        out.add(String.format("- lims ÷ %s: sustained throughput %.2f; p99 lateness %.2f (at %d/s)", other.name,
            (double) lims.sustained() / Math.max(1, other.sustained()), b == null || a == null ? Double.NaN : a.lateness.p99 / Math.max(1, b.lateness.p99),
            rate));
      }
    }
    System.out.println(String.join("\n", out));
  }

  static boolean sustainedAt(Result r, int rate) {
    return r.at(rate) != null && r.at(rate).sustained();
  }

  static String describe(Step s) {
    return s == null ? "not reached" : s.lateness.toString();
  }
}
