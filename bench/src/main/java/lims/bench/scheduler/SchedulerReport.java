package lims.bench.scheduler;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lims.bench.scheduler.SchedulerBench.Burst;
import lims.bench.scheduler.SchedulerBench.Result;
import lims.bench.scheduler.SchedulerBench.Step;

/** The scheduler benchmark's Markdown report: a summary per contender, every step, every burst, this system by node count, the goals. */
final class SchedulerReport {

  private SchedulerReport() {}

  static void print(List<Result> results) {
    List<String> out = new ArrayList<>();
    out.add("## Scheduler benchmark (`./lims bench scheduler`)");
    out.add("");
    out.add("- machine: " + Runtime.getRuntime().availableProcessors() + " cores, JVM max heap "
        + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax() / (1024 * 1024) + " MB, " + System.getProperty("java.version")
        + "; one local PostgreSQL, fsync and synchronous_commit on; date " + Instant.now());
    out.add("- steps of " + SchedulerBench.STEP_SECONDS + " s at " + Arrays.toString(SchedulerBench.RATES) + " tasks/s, scheduled "
        + SchedulerBench.LEAD.toSeconds() + " s ahead, climbing stopped after " + SchedulerBench.FAILED_STEPS + " steps in a row not sustained; bursts of "
        + Arrays.toString(SchedulerBench.BURSTS) + " due at one instant; this system with " + Arrays.toString(SchedulerBench.LIMS_NODES)
        + " nodes (after the first, steps " + Arrays.toString(SchedulerBench.MORE_NODES_RATES) + " only); " + SchedulerBench.THREADS
        + " worker threads for db-scheduler and Quartz; a no-op task that records its start");
    out.add("- CPU per 1,000 tasks in core-seconds, this JVM (every node of this system, the benchmark's light recording) / PostgreSQL;"
        + " a step's from its first hand-over to its last start");
    out.add("");
    summary(out, results);
    steps(out, results);
    bursts(out, results);
    nodes(out, results);
    out.add("");
    out.addAll(Goals.lines(results));
    System.out.println(String.join("\n", out));
  }

  private static void summary(List<String> out, List<Result> results) {
    out.add("| scheduler | sustained executions/s | lateness p50/p99/max at 200/s | at 1,000/s | at its sustained step | bursts: drain"
        + " | created/s (largest burst) | duplicates | misses | CPU per 1,000 at its sustained step |");
    out.add("|---|---|---|---|---|---|---|---|---|---|");
    for (Result r : results) {
      Step top = r.at(r.sustained());
      Burst largest = largestBurst(r);
      out.add("| " + r.name() + " | " + r.sustained() + (r.ceilingFound() ? "" : " (every step tried)") + " | " + describe(r.at(200)) + " | "
          + describe(r.at(1000)) + " | " + describe(top) + " | " + drains(r) + " | "
          + (largest == null ? "–" : String.format("%.0f (%d)", largest.createdPerSecond(), largest.tasks())) + " | " + r.duplicates() + " | "
          + r.misses() + " | " + (top == null ? "–" : top.cpu()) + " |");
    }
    out.add("");
  }

  private static void steps(List<String> out, List<Result> results) {
    out.add("| scheduler | step | handed over | on time (≤ 1 s) | lateness p50/p99/max | duplicates | misses | backlog growing | scheduling kept up"
        + " | CPU per 1,000 tasks |");
    out.add("|---|---|---|---|---|---|---|---|---|---|");
    for (Result r : results) {
      for (Step s : r.steps()) {
        out.add("| " + r.name() + " | " + s.rate() + "/s | " + (s.tasks() == s.planned() ? "all" : s.tasks() + " of " + s.planned()) + " | "
            + String.format("%.2f %%", s.onTime() * 100) + " | " + s.lateness() + " | " + s.duplicates() + " | " + s.misses() + " | "
            + (s.growing() ? "yes" : "no") + " | " + (s.creationLate() ? "no" : "yes") + " | " + s.cpu() + " |");
      }
    }
    out.add("");
  }

  private static void bursts(List<String> out, List<Result> results) {
    out.add("| scheduler | burst | handed over in (created/s) | CPU per 1,000 created | drain | lateness p50/p99/max | duplicates | misses"
        + " | CPU per 1,000 fired |");
    out.add("|---|---|---|---|---|---|---|---|---|");
    for (Result r : results) {
      for (Burst b : r.bursts()) {
        if (!b.ran()) {
          out.add("| " + r.name() + " | " + b.tasks() + " | skipped: " + b.skipped() + " | | | | | | |");
          continue;
        }
        out.add("| " + r.name() + " | " + b.tasks() + " | " + String.format("%.2f s (%.0f/s)", b.handOverSeconds(), b.createdPerSecond())
            + (b.creationLate() ? ", after its instant" : "") + " | " + b.creationCpu() + " | " + String.format("%.2f s", b.drainSeconds()) + " | "
            + b.lateness() + " | " + b.duplicates() + " | " + b.misses() + " | " + b.drainCpu() + " |");
      }
    }
    out.add("");
  }

  /**
   * This system by node count: where more nodes stop adding executions, and how busy each side
   * is at the top step, shows whether the nodes or the one PostgreSQL set the limit; the
   * executions each node ran show that sharding spread the firing over all of them.
   */
  private static void nodes(List<String> out, List<Result> results) {
    List<Result> lims = results.stream().filter(r -> r.key().equals("lims")).toList();
    if (lims.size() < 2) return;
    int one = lims.get(0).sustained();
    out.add("| this system | sustained executions/s | × the first | p99 at the sustained step | CPU per 1,000 there"
        + " | cores busy there, on average over the step: JVM / PostgreSQL | executions per node, whole run |");
    out.add("|---|---|---|---|---|---|---|");
    for (Result r : lims) {
      Step top = r.at(r.sustained());
      out.add("| " + r.nodes() + (r.nodes() == 1 ? " node" : " nodes") + " | " + r.sustained() + (r.ceilingFound() ? "" : " (every step tried)") + " | "
          + String.format("%.2f", (double) r.sustained() / Math.max(1, one)) + " | " + (top == null ? "–" : String.format("%.0f ms", top.lateness().p99()))
          + " | " + (top == null ? "–" : top.cpu()) + " | " + (top == null ? "–" : top.cpu().cores()) + " | " + r.firedPerNode() + " |");
    }
    out.add("");
  }

  static Burst largestBurst(Result r) {
    return r.bursts().stream().filter(Burst::ran).reduce((a, b) -> b.tasks() > a.tasks() ? b : a).orElse(null);
  }

  private static String drains(Result r) {
    if (r.bursts().isEmpty()) return "–";
    return String.join(", ", r.bursts().stream().map(b -> b.tasks() + ": " + (b.ran() ? String.format("%.1f s", b.drainSeconds()) : "skipped")).toList());
  }

  static String describe(Step s) {
    return s == null ? "not reached" : s.lateness().toString();
  }
}
