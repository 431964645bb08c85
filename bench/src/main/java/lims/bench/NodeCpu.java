package lims.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where a launched node's CPU goes during a window, from Linux's /proc: the process's total,
 * and per thread, grouped by the thread's name (render thread, GC, JIT compiler, Pekko
 * dispatchers…), plus how busy the whole machine was. A render thread lives for one render
 * and is gone from /proc when it ends, so the threads are sampled twice a second and each
 * thread's last reading is kept. Names come from {@code jcmd Thread.print} (the full Java
 * name) when it answers, else from the kernel's 15-character copy.
 */
final class NodeCpu {

  /** Linux clock ticks per second, as /proc counts CPU time. */
  private static final double TICKS = 100.0;

  private final long pid;
  private final Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
  /** Full Java thread names by native id, learnt from jcmd. */
  private final Map<Long, String> javaNames = new ConcurrentHashMap<>();

  NodeCpu(long pid) {
    this.pid = pid;
  }

  /** What one window cost: cores used on average (1.0 = one core busy for the whole window). */
  record Use(double seconds, double nodeCores, Map<String, Double> threadCores, double machineBusy, double postgresCores) {

    String threads(int top) {
      StringBuilder s = new StringBuilder();
      threadCores.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(top)
          .forEach(e -> s.append(s.length() == 0 ? "" : ", ").append(String.format("%s %.2f", e.getKey(), e.getValue())));
      return s.toString();
    }

    /** Cores used by the groups whose name contains {@code part}. */
    double of(String part) {
      return threadCores.entrySet().stream().filter(e -> e.getKey().contains(part)).mapToDouble(Map.Entry::getValue).sum();
    }
  }

  /** A window being measured: {@link #end} it once. */
  final class Window {
    private final long startedAt = System.nanoTime();
    private final long processAtStart = processTicks();
    private final long[] machineAtStart = machineTicks();
    private final long postgresAtStart = lims.bench.scheduler.CpuUse.postgresNow();
    private final Map<Long, Long> threadsAtStart = threadTicks(new HashMap<>());
    private final Map<Long, Long> lastSeen = new ConcurrentHashMap<>(threadsAtStart);
    private final Map<Long, String> names = new ConcurrentHashMap<>();
    private final Thread sampler;
    private volatile boolean sampling = true;

    private Window() {
      learnNames();
      sampler = new Thread(() -> {
        int round = 0;
        while (sampling) {
          threadTicks(names).forEach(lastSeen::put);
          if (++round % 20 == 0) learnNames(); // every 10 s: threads started meanwhile (a render's)
          try {
            TimeUnit.MILLISECONDS.sleep(500); // the sampling interval
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "bench-node-cpu");
      sampler.setDaemon(true);
      sampler.start();
    }

    Use end() {
      sampling = false;
      sampler.interrupt();
      learnNames();
      threadTicks(names).forEach(lastSeen::put);
      double seconds = (System.nanoTime() - startedAt) / 1e9;
      Map<String, Double> groups = new LinkedHashMap<>();
      lastSeen.forEach((tid, ticks) -> {
        long used = ticks - threadsAtStart.getOrDefault(tid, 0L);
        if (used <= 0) return;
        String name = group(javaNames.getOrDefault(tid, names.getOrDefault(tid, "?")));
        groups.merge(name, used / TICKS / seconds, Double::sum);
      });
      // A thread that ended before jcmd saw it keeps the kernel's name, cut at 15 characters: count it with its full name's group.
      for (String cut : List.copyOf(groups.keySet())) {
        if (cut.length() != 15) continue;
        groups.keySet().stream().filter(full -> full.length() > 15 && full.startsWith(cut)).findFirst()
            .ifPresent(full -> groups.merge(full, groups.remove(cut), Double::sum));
      }
      long[] machine = machineTicks();
      double busy = machine[1] - machineAtStart[1] == 0 ? 0 : (double) (machine[0] - machineAtStart[0]) / (machine[1] - machineAtStart[1]);
      long postgres = lims.bench.scheduler.CpuUse.postgresNow();
      double postgresCores = postgres < 0 || postgresAtStart < 0 ? -1 : (postgres - postgresAtStart) / 1e9 / seconds;
      return new Use(seconds, (processTicks() - processAtStart) / TICKS / seconds, groups, busy, postgresCores);
    }
  }

  Window start() {
    return new Window();
  }

  /** A thread name without its number: "GC Thread#3" and "lims-pekko.actor.default-dispatcher-12" count as one group each. */
  static String group(String name) {
    return name.replaceAll("[-#_ ]?\\d+$", "").replaceAll("-\\d+-", "-");
  }

  private long processTicks() {
    String[] f = stat(Path.of("/proc", Long.toString(pid), "stat"));
    return f.length < 13 ? 0 : Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** Each thread's utime + stime; its kernel name goes into {@code names}. */
  private Map<Long, Long> threadTicks(Map<Long, String> names) {
    Map<Long, Long> ticks = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : tasks.toList()) {
        try {
          String s = Files.readString(task.resolve("stat"));
          String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
          long tid = Long.parseLong(task.getFileName().toString());
          ticks.put(tid, Long.parseLong(f[11]) + Long.parseLong(f[12]));
          names.putIfAbsent(tid, s.substring(s.indexOf('(') + 1, s.lastIndexOf(')')));
        } catch (IOException | RuntimeException ended) {
          // the thread ended between the listing and the read
        }
      }
    } catch (IOException processEnded) {
      // nothing more to read
    }
    return ticks;
  }

  /** Full names of the node's live threads, by native id (jcmd's nid). */
  private void learnNames() {
    try {
      Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
      List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
      if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
      java.util.regex.Pattern thread = java.util.regex.Pattern.compile("^\"(.+?)\".* nid=0x([0-9a-f]+)");
      for (String line : lines) {
        java.util.regex.Matcher m = thread.matcher(line);
        if (m.find()) javaNames.put(Long.parseLong(m.group(2), 16), m.group(1));
      }
    } catch (IOException e) {
      // no jcmd: the kernel's names are used
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {busy, total} ticks of every core, from /proc/stat's first line. */
  private static long[] machineTicks() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) total += Long.parseLong(f[i]);
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
      return new long[] {total - idle, total};
    } catch (IOException e) {
      return new long[] {0, 0};
    }
  }

  private static String[] stat(Path path) {
    try {
      String s = Files.readString(path);
      return s.substring(s.lastIndexOf(')') + 2).split(" ");
    } catch (IOException e) {
      return new String[0];
    }
  }

  /** The machine's load average over the last minute, as /proc/loadavg gives it. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }
}
