package lims.bench.scheduler;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
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
 * instant, p99 lateness ≤ 1 s and no growing backlog, is its sustained rate; climbing stops
 * after two steps in a row not sustained, so each contender's ceiling is its own. Then
 * bursts (10,000 and 100,000 tasks due at one instant): their hand-over is the contender's
 * creation rate, their drain how fast it fires a backlog. This scheduler runs again with 2
 * and 3 nodes on the same PostgreSQL (steps only), so the curve shows where the database,
 * not the nodes, is the limit. Every start is recorded; duplicates and misses counted at
 * every step; the report ends with the goals of issue 24 (lims ÷ db-scheduler), met or not.
 * With the defaults the whole run takes about half an hour (most of it the three ladders of
 * this system and db-scheduler's); {@code -Dbench.lims-nodes=1} or {@code -Dbench.contenders}
 * shorten it.
 */
public final class SchedulerBench {

  static final int[] RATES = numbers(System.getProperty("bench.rates", "100,200,500,1000,2000,3000,5000,8000,12000,16000,24000,32000,48000"));
  /** How many nodes this scheduler runs with, one run each: the first runs the steps and the bursts, the others the steps only. */
  static final int[] LIMS_NODES = numbers(System.getProperty("bench.lims-nodes", "1,2,3"));
  /** The steps of the runs after the first node count: from 1,000/s, since the low steps say nothing about where a cluster stops. */
  static final int[] MORE_NODES_RATES = numbers(System.getProperty("bench.more-nodes-rates",
      Arrays.stream(RATES).anyMatch(r -> r >= 1000) ? join(Arrays.stream(RATES).filter(r -> r >= 1000).toArray()) : join(RATES)));
  static final int STEP_SECONDS = Integer.getInteger("bench.step-seconds", 15);
  /** Climbing stops after this many steps in a row not sustained (each is still reported). */
  static final int FAILED_STEPS = Integer.getInteger("bench.failed-steps", 2);
  /** Burst sizes, smallest first ({@code bench.burst}, one size, is the older name). */
  static final int[] BURSTS = numbers(System.getProperty("bench.bursts", System.getProperty("bench.burst", "10000,100000")));
  /** A larger burst is skipped when the smaller one's drain, scaled to its size, would take longer than this. */
  static final int BURST_MAX_DRAIN_SECONDS = Integer.getInteger("bench.burst-max-drain-seconds", 120);
  static final int THREADS = Integer.getInteger("bench.threads", 64);
  /** Tasks per round of the creation probe; 0 (the default) runs the steps and the burst instead. */
  static final int CREATION_PROBE = Integer.getInteger("bench.creation-probe", 0);
  /** Rates of the firing probe; empty (the default) runs the steps and the burst instead. */
  static final int[] FIRING_PROBE = numbers(System.getProperty("bench.firing-probe", ""));
  /** Whether the firing probe restarts the scheduler between scheduling a step's tasks and their first instant. */
  static final boolean FIRING_RESTART = Boolean.getBoolean("bench.firing-restart");
  static final Duration LEAD = Duration.ofSeconds(5);
  static final Duration GRACE = Duration.ofSeconds(30);
  /**
   * A step's hand-over stops once it is this far behind its slots: the step is not sustained
   * (creation did not keep up), and waiting on would only stretch a failing step to minutes.
   */
  static final Duration BEHIND = Duration.ofSeconds(10);
  /** How long the bursts wait for the tasks the ladder's failed steps left unstarted. */
  static final Duration SETTLE = Duration.ofMinutes(2);
  /** Tasks not started when their step was counted (counted as misses there); {@link #settle()} waits for them. */
  static final List<Contender.Task> STRAGGLERS = new ArrayList<>();

  /**
   * A step's outcome over the {@code tasks} of its {@code planned} that were handed over;
   * {@code cpu}: core-seconds per 1,000 tasks, this JVM / PostgreSQL, from its first hand-over to its last start.
   */
  record Step(int rate, int planned, int tasks, double onTime, Lateness lateness, long duplicates, long misses, boolean growing,
      boolean creationLate, CpuUse.PerThousand cpu) {
    boolean sustained() {
      return onTime >= 0.99 && lateness.p99 <= 1000 && !growing && misses == 0 && !creationLate && tasks == planned;
    }

    @Override
    public String toString() {
      return String.format("%.2f %% on time, %s, %d duplicates, %d misses%s%s%s, CPU per 1,000 %s", onTime * 100, lateness, duplicates, misses,
          growing ? ", backlog growing" : "", creationLate ? ", creation behind" : "", tasks < planned ? " (" + tasks + " of " + planned + " handed over)" : "",
          cpu);
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

  /**
   * {@code tasks} due at one instant, handed over {@code leadSeconds} ahead. The hand-over's
   * length is the contender's creation rate; the drain runs from the instant to the last start.
   * CPU per 1,000 tasks of the hand-over and of the drain apart. {@code skipped} says why it did not run.
   */
  record Burst(int tasks, double leadSeconds, double handOverSeconds, double drainSeconds, Lateness lateness, long duplicates, long misses,
      boolean creationLate, CpuUse.PerThousand creationCpu, CpuUse.PerThousand drainCpu, String skipped) {
    static Burst skipped(int tasks, String why) {
      return new Burst(tasks, 0, 0, 0, new Lateness(0, 0, 0), 0, 0, false, CpuUse.PerThousand.NONE, CpuUse.PerThousand.NONE, why);
    }

    boolean ran() {
      return skipped == null;
    }

    double createdPerSecond() {
      return tasks / Math.max(handOverSeconds, 0.001);
    }

    @Override
    public String toString() {
      if (!ran()) return tasks + " skipped: " + skipped;
      return String.format("%d handed over in %.2f s (%.0f/s, CPU per 1,000 %s)%s, drained in %.2f s, %s, %d duplicates, %d misses, CPU per 1,000 %s",
          tasks, handOverSeconds, createdPerSecond(), creationCpu, creationLate ? " too late for its instant" : "", drainSeconds, lateness,
          duplicates, misses, drainCpu);
    }
  }

  /**
   * One contender's run: {@code key} names the contender ("lims", "db-scheduler", "quartz"),
   * {@code nodes} this system's node count (0 for the others), {@code firedPerNode} how many
   * executions each of its nodes ran ("–" for the others).
   */
  record Result(String key, String name, int nodes, List<Step> steps, List<Burst> bursts, String firedPerNode) {
    int sustained() {
      return steps.stream().filter(Step::sustained).mapToInt(Step::rate).max().orElse(0);
    }

    /** Whether some step failed, so that the sustained rate is the contender's own ceiling, not the top of the ladder. */
    boolean ceilingFound() {
      return steps.stream().anyMatch(s -> !s.sustained());
    }

    Step at(int rate) {
      return steps.stream().filter(s -> s.rate == rate).findFirst().orElse(null);
    }

    /** The burst of {@code tasks} if it ran, else null. */
    Burst burst(int tasks) {
      return bursts.stream().filter(b -> b.tasks == tasks && b.ran()).findFirst().orElse(null);
    }

    long duplicates() {
      return steps.stream().mapToLong(Step::duplicates).sum() + bursts.stream().mapToLong(Burst::duplicates).sum();
    }

    long misses() {
      return steps.stream().mapToLong(Step::misses).sum() + bursts.stream().mapToLong(Burst::misses).sum();
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
    // A run of half an hour that fails late still reports what it measured.
    try {
      for (String which : only) {
        if (which.equals("lims")) {
          for (int i = 0; i < LIMS_NODES.length; i++) {
            try (LimsContender c = new LimsContender(LIMS_NODES[i])) {
              if (i > 0) warmUp(c, which + "-n" + c.nodes());
              results.add(run(c, which, c.nodes(), i == 0 ? RATES : MORE_NODES_RATES, i == 0));
            }
          }
        } else {
          try (Contender c = open(which)) {
            results.add(run(c, which, 0, RATES, true));
          }
        }
      }
    } finally {
      SchedulerReport.print(results);
    }
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
        Step step = outcome(rate, tasks.size(), tasks, late, cpu);
        analyze(c);
        System.err.printf("[bench] %s: firing %d/s%s (%d scheduled in %.1f s%s): %s, sustained %s%n", c.name(), rate,
            FIRING_RESTART ? " after a restart" : "", n, scheduled, late ? ", too late" : "", step, step.sustained() ? "yes" : "no");
      }
    }
  }

  static Contender open(String which) throws Exception {
    return switch (which) {
      case "lims" -> new LimsContender(1);
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

  /** The steps in {@code rates} until {@link #FAILED_STEPS} in a row are not sustained; then, with {@code bursts}, the bursts. */
  static Result run(Contender c, String key, int nodes, int[] rates, boolean bursts) throws Exception {
    System.err.println("[bench] " + c.name());
    String prefix = nodes > 1 ? key + "-n" + nodes : key;
    STRAGGLERS.clear();
    List<Step> steps = new ArrayList<>();
    int failedInARow = 0;
    for (int rate : rates) {
      Step step = step(c, prefix + "-r" + rate, rate);
      steps.add(step);
      analyze(c);
      System.err.println("[bench]   " + rate + "/s: " + step);
      failedInARow = step.sustained() ? 0 : failedInARow + 1;
      if (failedInARow >= FAILED_STEPS) break;
    }
    int sustained = steps.stream().filter(Step::sustained).mapToInt(Step::rate).max().orElse(0);
    List<Burst> done = new ArrayList<>();
    if (bursts) {
      settle();
      for (int size : BURSTS) {
        Burst burst = burstOrSkip(c, prefix + "-burst" + size, size, done, sustained);
        done.add(burst);
        analyze(c);
        System.err.println("[bench]   burst: " + burst);
      }
    }
    String firedPerNode = c instanceof LimsContender lims ? lims.firedPerNode() : "–";
    if (nodes > 1) System.err.println("[bench]   executions per node: " + firedPerNode);
    return new Result(key, c.name(), nodes, steps, done, firedPerNode);
  }

  /**
   * A step at 200/s, not reported, before a ladder that starts high: a cluster just formed
   * allocates its shards and recovers its first entities on the first tests (100 tests took
   * 2.8 s to create on a fresh 2-node cluster), which would fail the first step for a reason
   * no later step has.
   */
  static void warmUp(Contender c, String prefix) throws Exception {
    Step step = step(c, prefix + "-warmup", 200);
    analyze(c);
    System.err.println("[bench] " + c.name() + ": warm-up at 200/s (not reported): " + step);
  }

  /** The next burst, unless the last one says it would take longer than the run can give it. */
  static Burst burstOrSkip(Contender c, String prefix, int size, List<Burst> done, int sustained) throws Exception {
    Burst last = done.stream().filter(Burst::ran).reduce((a, b) -> b).orElse(null);
    if (last != null && last.misses > 0) return Burst.skipped(size, "the burst of " + last.tasks + " had misses");
    if (last != null && last.drainSeconds * size / last.tasks > BURST_MAX_DRAIN_SECONDS) {
      return Burst.skipped(size, String.format("%d took %.1f s to drain: %d would take over %d s", last.tasks, last.drainSeconds, size,
          BURST_MAX_DRAIN_SECONDS));
    }
    // Room to hand the burst over twice at the rate the contender has shown (its last burst's
    // creation rate, else its sustained rate, which creation kept up with): the drain, not
    // creation, is what the instant measures; a lead much longer only idles the run.
    double shown = last != null ? last.createdPerSecond() : Math.max(100, sustained);
    long leadSeconds = Long.getLong("bench.burst-lead-seconds", Math.min(300, Math.max(10, (long) Math.ceil(2 * size / shown) + 5)));
    return burst(c, prefix, size, Duration.ofSeconds(leadSeconds));
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

  /**
   * Tasks due uniformly at {@code rate} for STEP_SECONDS, each second's worth scheduled LEAD
   * ahead of its first instant; the hand-over stops when it falls {@link #BEHIND}.
   */
  static Step step(Contender c, String prefix, int rate) throws Exception {
    Instant t0 = Instant.now().plus(LEAD);
    List<Contender.Task> tasks = uniform(prefix, t0, rate);
    CpuUse cpu = CpuUse.now();
    boolean late = false;
    int handedOver = 0;
    for (int second = 0; second < STEP_SECONDS; second++) {
      Instant slot = t0.plusSeconds(second).minus(LEAD);
      if (Instant.now().isAfter(slot.plus(BEHIND))) {
        System.err.println("[bench]     hand-over " + BEHIND.toSeconds() + " s behind: stopped after " + handedOver + " tasks");
        break;
      }
      waitUntil(slot);
      long s0 = System.nanoTime();
      c.schedule(tasks.subList(second * rate, (second + 1) * rate));
      handedOver = (second + 1) * rate;
      long took = (System.nanoTime() - s0) / 1_000_000;
      if (took > 1000) System.err.println("[bench]     scheduling " + rate + " tasks took " + took + " ms");
      // Each second's tasks are handed over at the start of their slot; finishing more than a
      // second after the slot's end means creation runs slower than the rate and would fall
      // ever further behind in a longer step.
      if (Instant.now().isAfter(slot.plusSeconds(2))) late = true;
    }
    return outcome(rate, tasks.size(), tasks.subList(0, handedOver), late, cpu);
  }

  /** A step's tasks: STEP_SECONDS of them at {@code rate}, due uniformly from {@code t0}. */
  static List<Contender.Task> uniform(String prefix, Instant t0, int rate) {
    int n = rate * STEP_SECONDS;
    List<Contender.Task> tasks = new ArrayList<>(n);
    for (int i = 0; i < n; i++) tasks.add(new Contender.Task(prefix + "-" + i, t0.plusNanos(i * 1_000_000_000L / rate)));
    return tasks;
  }

  /** How a step's tasks (those handed over of {@code planned}), due uniformly at {@code rate}, were run: waits for their starts, then counts. */
  static Step outcome(int rate, int planned, List<Contender.Task> tasks, boolean late, CpuUse cpu) {
    int n = tasks.size();
    Instant last = tasks.get(n - 1).due();
    CpuUse end = awaitStarts(tasks, last.plus(GRACE));
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
    for (Contender.Task t : tasks) if (!Contender.STARTS.containsKey(t.id())) STRAGGLERS.add(t);
    forget(tasks);
    boolean growing = Lateness.of(lastFifth).p50 > Lateness.of(first).p50 + 250;
    return new Step(rate, planned, n, (double) onTime / n, Lateness.of(lateness), duplicates, misses, growing, late, end.perThousand(cpu, n));
  }

  static Burst burst(Contender c, String prefix, int size, Duration lead) throws Exception {
    Instant due = Instant.now().plus(lead);
    List<Contender.Task> tasks = new ArrayList<>(size);
    for (int i = 0; i < size; i++) tasks.add(new Contender.Task(prefix + "-" + i, due));
    CpuUse before = CpuUse.now();
    long t0 = System.nanoTime();
    c.schedule(tasks);
    double handOver = (System.nanoTime() - t0) / 1e9;
    CpuUse handedOver = CpuUse.now();
    boolean late = Instant.now().isAfter(due.minusSeconds(1));
    waitUntil(due.minusMillis(500));
    CpuUse atDue = CpuUse.now();
    CpuUse end = awaitStarts(tasks, due.plus(Duration.ofSeconds(Math.max(180, size / 500))));
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
    forget(tasks);
    return new Burst(size, lead.toSeconds(), handOver, Duration.between(due, lastStart).toMillis() / 1000.0, Lateness.of(lateness), duplicates,
        misses, late, handedOver.perThousand(before, size), end.perThousand(atDue, size), null);
  }

  /**
   * Until every task has started or the deadline passes; returns the CPU count at that moment,
   * then waits 2 s more to catch duplicates (not counted as the tasks' CPU).
   */
  static CpuUse awaitStarts(List<Contender.Task> tasks, Instant deadline) {
    // Tasks are in due order and a start is never taken back, so each look resumes at the first
    // task not yet started: looking again from the first task every 200 ms took ~3 % of the
    // CPU from the scheduler under test at 5,000 tasks/s (JFR).
    int firstNotStarted = 0;
    while (Instant.now().isBefore(deadline)) {
      while (firstNotStarted < tasks.size() && Contender.STARTS.containsKey(tasks.get(firstNotStarted).id())) firstNotStarted++;
      if (firstNotStarted == tasks.size()) break;
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
    CpuUse end = CpuUse.now();
    waitUntil(Instant.now().plusSeconds(2));
    return end;
  }

  /**
   * Waits (at most {@link #SETTLE}) for the tasks the failed steps left unstarted: a burst
   * measures how fast a contender drains an instant's tasks, not the backlog of the ladder.
   */
  static void settle() {
    if (STRAGGLERS.isEmpty()) return;
    Instant deadline = Instant.now().plus(SETTLE);
    long t0 = System.nanoTime();
    STRAGGLERS.removeIf(t -> Contender.STARTS.containsKey(t.id()));
    while (!STRAGGLERS.isEmpty() && Instant.now().isBefore(deadline)) {
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      STRAGGLERS.removeIf(t -> Contender.STARTS.containsKey(t.id()));
    }
    System.err.printf("[bench]   settled in %.1f s: %d tasks of the steps still not started%n", (System.nanoTime() - t0) / 1e9, STRAGGLERS.size());
    STRAGGLERS.forEach(t -> Contender.STARTS.remove(t.id()));
    STRAGGLERS.clear();
  }

  /** Drops counted tasks' starts: a run to 32,000/s records millions, and the heap is the contender's. */
  static void forget(List<Contender.Task> tasks) {
    for (Contender.Task t : tasks) Contender.STARTS.remove(t.id());
  }

  static void waitUntil(Instant t) {
    long nanos = Duration.between(Instant.now(), t).toNanos();
    if (nanos > 0) LockSupport.parkNanos(nanos);
  }

  static int[] numbers(String list) {
    return Arrays.stream(list.split(",")).map(String::strip).filter(r -> !r.isEmpty()).mapToInt(Integer::parseInt).toArray();
  }

  static String join(int[] numbers) {
    return String.join(",", Arrays.stream(numbers).mapToObj(String::valueOf).toList());
  }
}
