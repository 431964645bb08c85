package lims.bench.scheduler;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time spent so far by this JVM (the scheduler under test and the benchmark's light
 * recording) and by the benchmark's PostgreSQL server: its postmaster, the processes it
 * started, and those it has already reaped. Read twice around a step, it says what a task
 * costs each side — which, unlike the sustained rate on one shared machine, shows what more
 * application cores or a database host of its own would buy each scheduler.
 */
public record CpuUse(long jvmNanos, long postgresNanos, long wallNanos) {

  /** The postmaster's process id, from {@code ./lims bench} (its data folder's postmaster.pid); 0 when not known. */
  static final long POSTMASTER = Long.parseLong(System.getenv().getOrDefault("LIMS_BENCH_PG_PID", "0"));
  /** Linux clock ticks per second, as /proc/PID/stat counts CPU time. */
  private static final long TICKS = 100;

  static CpuUse now() {
    long jvm = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    return new CpuUse(jvm, postgresNow(), System.nanoTime());
  }

  /**
   * Core-seconds per 1,000 tasks, this JVM and PostgreSQL, and the cores each kept busy on
   * average over the interval (NaN when the server is not this machine's, or no task ran).
   */
  record PerThousand(double jvm, double postgres, double jvmCores, double postgresCores) {
    static final PerThousand NONE = new PerThousand(Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    @Override
    public String toString() {
      if (Double.isNaN(jvm)) return "–";
      return Double.isNaN(postgres) ? String.format("%.2f / –", jvm) : String.format("%.2f / %.2f", jvm, postgres);
    }

    String cores() {
      if (Double.isNaN(jvmCores)) return "–";
      return Double.isNaN(postgresCores) ? String.format("%.2f / –", jvmCores) : String.format("%.2f / %.2f", jvmCores, postgresCores);
    }
  }

  /** Core-seconds per 1,000 tasks spent since {@code before}, JVM then PostgreSQL. */
  PerThousand perThousand(CpuUse before, int tasks) {
    if (tasks == 0) return PerThousand.NONE;
    double wall = Math.max(1, wallNanos - before.wallNanos);
    double jvm = jvmNanos - before.jvmNanos;
    double postgres = postgresNanos < 0 || before.postgresNanos < 0 ? Double.NaN : postgresNanos - before.postgresNanos;
    return new PerThousand(jvm / 1e9 * 1000 / tasks, postgres / 1e9 * 1000 / tasks, jvm / wall, postgres / wall);
  }

  /** The benchmark PostgreSQL's CPU time so far (nanoseconds), or -1 when the server is not this machine's. */
  public static long postgresNow() {
    return POSTMASTER > 0 ? postgresTotal() : -1;
  }

  private static long postgresTotal() {
    long ticks = ticks(POSTMASTER, true);
    try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
      ticks += processes.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .mapToLong(p -> parent(p) == POSTMASTER ? ticks(Long.parseLong(p.getFileName().toString()), false) : 0).sum();
    } catch (IOException e) {
      return -1;
    }
    return ticks * 1_000_000_000L / TICKS;
  }

  /** Fields after the command name of /proc/PID/stat (the name may hold spaces); empty when the process is gone. */
  private static String[] stat(long pid) {
    try {
      String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return s.substring(s.lastIndexOf(')') + 2).split(" ");
    } catch (IOException e) {
      return new String[0];
    }
  }

  private static long parent(Path process) {
    String[] f = stat(Long.parseLong(process.getFileName().toString()));
    return f.length > 1 ? Long.parseLong(f[1]) : -1;
  }

  /** utime + stime, and with {@code reaped} also the children's it has waited for (cutime + cstime). */
  private static long ticks(long pid, boolean reaped) {
    String[] f = stat(pid);
    if (f.length < 15) return 0;
    // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    long own = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return reaped ? own + Long.parseLong(f[13]) + Long.parseLong(f[14]) : own;
  }
}
