package lims.bench.scheduler;

import java.util.ArrayList;
import java.util.List;
import lims.bench.scheduler.SchedulerBench.Burst;
import lims.bench.scheduler.SchedulerBench.Result;
import lims.bench.scheduler.SchedulerBench.Step;

/**
 * The goals of issue 24, lims ÷ db-scheduler in this run, each line met or NOT met. This
 * system is its first run (the first node count: steps and bursts); the runs with more nodes
 * appear in the zero-duplicates line and in the node table above.
 */
final class Goals {

  private Goals() {}

  static List<String> lines(List<Result> results) {
    List<String> out = new ArrayList<>();
    Result lims = results.stream().filter(r -> r.key().equals("lims")).findFirst().orElse(null);
    Result db = results.stream().filter(r -> r.key().equals("db-scheduler")).findFirst().orElse(null);
    out.add("### Goals (issue 24): lims ÷ db-scheduler, this run");
    out.add("");
    if (lims == null || db == null) {
      out.add("- not assessed: the run needs both lims and db-scheduler");
      return out;
    }
    out.add("- lims here is " + lims.name() + ", its first run");
    sustained(out, lims, db);
    latenessAt(out, lims, db, 200);
    latenessAt(out, lims, db, 1000);
    Step top = lims.at(lims.sustained());
    out.add(line("p99 lateness at lims' highest sustained step", top == null ? "no step sustained" : String.format("%d/s: %.0f ms (goal ≤ 100 ms)",
        top.rate(), top.lateness().p99()), top != null && top.lateness().p99() <= 100));
    for (int size : SchedulerBench.BURSTS) burst(out, lims, db, size);
    creation(out, lims, db);
    cpu(out, lims, db);
    long duplicates = results.stream().filter(r -> r.key().equals("lims")).mapToLong(Result::duplicates).sum();
    long misses = results.stream().filter(r -> r.key().equals("lims")).mapToLong(Result::misses).sum();
    out.add(line("zero duplicates and misses at every step and burst (every lims run)", duplicates + " duplicates, " + misses + " misses",
        duplicates == 0 && misses == 0));
    return out;
  }

  private static void sustained(List<String> out, Result lims, Result db) {
    double ratio = (double) lims.sustained() / Math.max(1, db.sustained());
    String bound = db.ceilingFound() ? "" : "; db-scheduler sustained every step tried, so its ceiling is higher and the ratio an upper bound";
    out.add(line("sustained executions/s", String.format("%d ÷ %d = %.2f (goal ≥ 1.5)%s", lims.sustained(), db.sustained(), ratio, bound),
        ratio >= 1.5 && db.ceilingFound()));
  }

  private static void latenessAt(List<String> out, Result lims, Result db, int rate) {
    Step a = lims.at(rate);
    Step b = db.at(rate);
    String what = "p99 lateness at " + rate + "/s";
    if (a == null || b == null) {
      out.add(line(what, "not measured (" + (a == null ? "lims" : "db-scheduler") + " did not run the step)", false));
      return;
    }
    double ratio = a.lateness().p99() / Math.max(1, b.lateness().p99());
    out.add(line(what, String.format("%.0f ÷ %.0f ms = %.2f (goal ≤ 0.25)%s", a.lateness().p99(), b.lateness().p99(), ratio,
        a.sustained() ? "" : "; lims did not sustain the step"), ratio <= 0.25 && a.sustained()));
  }

  private static void burst(List<String> out, Result lims, Result db, int size) {
    Burst a = lims.burst(size);
    Burst b = db.burst(size);
    String what = "drain of a burst of " + size;
    if (a == null || b == null) {
      out.add(line(what, "not measured (" + (a == null ? "lims" : "db-scheduler") + " did not run it)", false));
      return;
    }
    boolean clean = a.misses() == 0 && a.duplicates() == 0;
    out.add(line(what, String.format("%.2f s vs %.2f s (goal ≤ db-scheduler's)%s", a.drainSeconds(), b.drainSeconds(),
        clean ? "" : "; lims had duplicates or misses"), a.drainSeconds() <= b.drainSeconds() && clean));
  }

  /** Creation: the hand-over of the largest burst both ran, as fast as each takes tasks. */
  private static void creation(List<String> out, Result lims, Result db) {
    Burst a = null;
    Burst b = null;
    for (int size : SchedulerBench.BURSTS) {
      if (lims.burst(size) != null && db.burst(size) != null) {
        a = lims.burst(size);
        b = db.burst(size);
      }
    }
    if (a == null) {
      out.add(line("tests created/s", "not measured (no burst both ran)", false));
      return;
    }
    out.add(line("tests created/s", String.format("%.0f ÷ %.0f = %.2f, handing over %d (goal ≥ 1)", a.createdPerSecond(), b.createdPerSecond(),
        a.createdPerSecond() / b.createdPerSecond(), a.tasks()), a.createdPerSecond() >= b.createdPerSecond()));
  }

  /** CPU per execution at the highest step both sustained: the same load for both, since fixed costs spread over the rate. */
  private static void cpu(List<String> out, Result lims, Result db) {
    Step a = null;
    Step b = null;
    for (Step s : lims.steps()) {
      Step other = db.at(s.rate());
      if (s.sustained() && other != null && other.sustained()) {
        a = s;
        b = other;
      }
    }
    if (a == null) {
      out.add(line("CPU per execution", "not measured (no step both sustained)", false));
      return;
    }
    out.add(line("CPU per execution, node", String.format("at %d/s: %.3f ÷ %.3f ms = %.2f (goal ≤ 1)", a.rate(), a.cpu().jvm(), b.cpu().jvm(),
        a.cpu().jvm() / b.cpu().jvm()), a.cpu().jvm() <= b.cpu().jvm()));
    if (Double.isNaN(a.cpu().postgres())) {
      out.add(line("CPU per execution, database", "not measured (PostgreSQL is not this machine's: LIMS_BENCH_PG_PID unset)", false));
      return;
    }
    out.add(line("CPU per execution, database", String.format("at %d/s: %.3f ÷ %.3f ms = %.2f (goal ≤ 1)", a.rate(), a.cpu().postgres(),
        b.cpu().postgres(), a.cpu().postgres() / b.cpu().postgres()), a.cpu().postgres() <= b.cpu().postgres()));
  }

  private static String line(String what, String figures, boolean met) {
    return "- " + what + ": " + figures + ": **" + (met ? "met" : "NOT met") + "**";
  }
}
