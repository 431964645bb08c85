package lims.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import lims.kernel.Database;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * ./lims bench idle: what a node on the embedded default (H2, as ./lims run) costs when nobody
 * uses it, once its journal has grown. Fills a fresh H2 journal over HTTP to 100,000 events of
 * the node's own kinds and tags (specimens walked through intake, workflows run on devices, lab
 * tests scheduled a year ahead), restarts the node on it, waits until every projection has read
 * them, then measures the process's CPU time (/proc/self/stat) over 60 s without a request, names the threads that spent
 * it, and times a projection's poll of each tag: at the newest event (what an idle node repeats
 * several times a second) and from the start (a projection catching up). Prints a Markdown report.
 */
public final class IdleBench {

  static final int EVENTS = Integer.getInteger("bench.events", 100_000);
  static final int IDLE_SECONDS = Integer.getInteger("bench.idle-seconds", 60);
  static final int CLIENTS = Integer.getInteger("bench.clients", 16);
  static final Duration CATCH_UP_LIMIT = Duration.ofMinutes(Integer.getInteger("bench.catch-up-minutes", 20));
  /** A node failing this many fill requests is broken: the fill stops instead of spinning for ever. */
  static final int GIVE_UP_AFTER_FAILURES = 1_000;
  static final List<String> INTAKE = List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc");

  private final DeviceBench bench = new DeviceBench();
  private DataSource database;

  public static void main(String[] args) {
    lims.kernel.CommonPool.ensureParallelism();
    DeviceBench.runThenExit(() -> {
      new IdleBench().run();
      return null;
    });
  }

  void run() throws Exception {
    Path dataDir = Files.createTempDirectory("lims-idle-bench");
    Map<String, Object> settings = new HashMap<>();
    settings.put("lims.data-dir", dataDir.toString());
    // Operations finish at once, so the fill is quick; nothing runs while the node is idle.
    settings.put("lims.device.simulated-driver.default-duration", "0ms");
    // The access log of the fill would bury the report; an idle node writes none anyway.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("lims.access")).setLevel(ch.qos.logback.classic.Level.WARN);
    try {
      measure(settings, dataDir);
    } finally {
      if (bench.node != null) bench.stopNode();
      if (!Boolean.getBoolean("bench.keep-data")) { // -Dbench.keep-data=true keeps it, to look at the plans
        try (var files = Files.walk(dataDir)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    }
  }

  private void measure(Map<String, Object> settings, Path dataDir) throws Exception {
    bench.startNodeWith(settings);
    database = Database.get(bench.node.system()).dataSource();
    List<String> report = new ArrayList<>();
    report.add("## Idle node on the embedded default (`./lims bench idle`)");
    report.add("");
    report.add("- machine: " + Runtime.getRuntime().availableProcessors() + " cores, JVM max heap "
        + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB, " + System.getProperty("java.vm.name") + " "
        + System.getProperty("java.version") + "; H2 file database in " + dataDir);
    report.add("- date: " + Instant.now());
    report.add("");

    long t0 = System.nanoTime();
    long failed = fill();
    double fillSeconds = (System.nanoTime() - t0) / 1e9;
    awaitProjections();
    // A node started on the full journal, as after a restart or an upgrade: H2 plans a
    // statement when a connection first prepares it, so the filling node's plans were made
    // on a small journal and would hide a plan that only a large one gets.
    bench.stopNode();
    bench.startNodeWith(settings);
    database = Database.get(bench.node.system()).dataSource();
    long t1 = System.nanoTime();
    boolean caughtUp = awaitProjections();
    double catchUpSeconds = (System.nanoTime() - t1) / 1e9;
    Thread.sleep(10_000); // let the last groups commit and the fill's garbage be collected

    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> threadsBefore = threadCpu(threads);
    long cpuBefore = processCpuNanos();
    long wallBefore = System.nanoTime();
    Thread.sleep(IDLE_SECONDS * 1000L);
    double cores = (processCpuNanos() - cpuBefore) / (double) (System.nanoTime() - wallBefore);
    List<String> busiest = busiestThreads(threads, threadsBefore);

    report.add("| measure | value |");
    report.add("|---|---|");
    report.add(String.format("| journal | %,d events (%,d tag rows), filled in %.0f s by %d clients, %d failed requests |",
        scalar("SELECT COUNT(*) FROM \"event_journal\""), scalar("SELECT COUNT(*) FROM \"event_tag\""), fillSeconds, CLIENTS, failed));
    report.add(String.format("| projections caught up after the restart | %s after %.0f s (%d projection streams with offsets) |",
        caughtUp ? "yes" : "**no**", catchUpSeconds, scalar("SELECT COUNT(*) FROM \"pekko_projection_offset_store\"")));
    report.add(String.format("| **idle CPU over %d s** | **%.1f %% of one core** |", IDLE_SECONDS, cores * 100));
    report.add("| busiest threads while idle (CPU s) | " + String.join(", ", busiest) + " |");
    System.out.println(String.join("\n", report)); // now: the polls below take long where the plan is bad
    report.clear();
    long newest = scalar("SELECT MAX(\"ordering\") FROM \"event_journal\"");
    report.add("| poll of a tag at the newest event | " + timePolls(newest) + " |");
    report.add("| poll of a tag from the start (first page) | " + timePolls(-1) + " |");
    System.out.println(String.join("\n", report));
  }

  /** Requests from {@link #CLIENTS} clients until the journal holds {@link #EVENTS} events; returns the failed ones. */
  private long fill() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    LongAdder failed = new LongAdder();
    List<CompletableFuture<?>> clients = new ArrayList<>();
    String due = Instant.now().plus(Duration.ofDays(365)).toString();
    for (int c = 0; c < CLIENTS; c++) {
      String device = "idle-bench-" + c;
      bench.call("POST", "/api/v1/devices", "{\"id\":\"" + device + "\",\"name\":\"Bench\",\"type\":\"plate_reader\"}");
      clients.add(CompletableFuture.runAsync(() -> {
        while (scalar("SELECT COUNT(*) FROM \"event_journal\"") < EVENTS && failed.sum() < GIVE_UP_AFTER_FAILURES) {
          try {
            String specimen = bench.call("POST", "/api/v1/specimens",
                "{\"client_ref\":\"bench\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}").get("id").asText();
            for (String action : INTAKE) {
              bench.call("POST", "/api/v1/specimens/" + specimen + "/transitions", "{\"action\":\"" + action + "\"}");
            }
            String workflow = bench.call("POST", "/api/v1/workflows", "{\"name\":\"bench\",\"device_id\":\"" + device
                + "\",\"sample_barcodes\":[],\"steps\":[\"read_absorbance\"]}").get("id").asText();
            for (String step : List.of("start", "execute-step", "complete")) {
              bench.call("POST", "/api/v1/workflows/" + workflow + "/" + step, "{}");
            }
            bench.call("POST", "/api/v1/lab-tests", "{\"title\":\"yearly check\",\"schedule\":{\"at\":\"" + due
                + "\"},\"action\":{\"kind\":\"http\",\"url\":\"http://127.0.0.1:9/none\"}}");
          } catch (RuntimeException e) {
            failed.increment();
          }
        }
      }, pool));
    }
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).join();
    if (failed.sum() >= GIVE_UP_AFTER_FAILURES) {
      throw new IllegalStateException("the fill gave up after " + failed.sum() + " failed requests: the node is not answering (see its log)");
    }
    pool.shutdown();
    return failed.sum();
  }

  /** Until every projection's offset is its tag's newest event, twice in a row, or the limit passes. */
  private boolean awaitProjections() throws InterruptedException {
    long deadline = System.nanoTime() + CATCH_UP_LIMIT.toNanos();
    int quiet = 0;
    while (System.nanoTime() < deadline) {
      long behind = scalar("SELECT COUNT(*) FROM \"pekko_projection_offset_store\" o JOIN \"event_tag\" t"
          + " ON t.\"tag\" = o.\"projection_key\" AND t.\"event_id\" > CAST(o.\"current_offset\" AS BIGINT)");
      quiet = behind == 0 ? quiet + 1 : 0;
      if (quiet == 2) return true;
      Thread.sleep(2_000);
    }
    return false;
  }

  /**
   * Each tag's poll through the read journal, as a projection polls — after {@code offset}, or
   * the first page from the start when negative — round after round for at most a minute.
   */
  private String timePolls(long offset) throws Exception {
    JdbcReadJournal journal = PersistenceQuery.get(Adapter.toClassic(bench.node.system()))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    List<String> tags = new ArrayList<>();
    try (Connection c = database.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT DISTINCT \"tag\" FROM \"event_tag\"")) {
      while (rs.next()) tags.add(rs.getString(1));
    }
    Percentiles polls = new Percentiles();
    long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    for (int round = 0; round < 5 && System.nanoTime() < end; round++) {
      for (String tag : tags) {
        if (System.nanoTime() > end) break;
        long t0 = System.nanoTime();
        journal.currentEventsByTag(tag, offset < 0 ? Offset.noOffset() : Offset.sequence(offset)).take(100)
            .runWith(Sink.ignore(), bench.node.system()).toCompletableFuture().get(5, TimeUnit.MINUTES);
        polls.add(System.nanoTime() - t0);
      }
    }
    return polls.summary() + " (" + polls.count() + " polls)";
  }

  /** utime + stime of this process, which /proc/self/stat holds (the JDK reads it there on Linux). */
  private static long processCpuNanos() {
    return ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
  }

  private static Map<Long, Long> threadCpu(ThreadMXBean threads) {
    Map<Long, Long> cpu = new HashMap<>();
    for (long id : threads.getAllThreadIds()) cpu.put(id, threads.getThreadCpuTime(id));
    return cpu;
  }

  /** CPU seconds since {@code before} by thread name, numbers folded ("pool-#"), the 6 busiest. */
  private static List<String> busiestThreads(ThreadMXBean threads, Map<Long, Long> before) {
    Map<String, Long> byName = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      var info = threads.getThreadInfo(id);
      long now = threads.getThreadCpuTime(id);
      if (info == null || now < 0) continue;
      byName.merge(info.getThreadName().replaceAll("\\d+", "#"), now - before.getOrDefault(id, 0L), Long::sum);
    }
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(byName.entrySet());
    sorted.sort(Collections.reverseOrder(Map.Entry.comparingByValue()));
    return sorted.stream().limit(6).map(e -> String.format("`%s` %.1f", e.getKey(), e.getValue() / 1e9)).toList();
  }

  private long scalar(String sql) {
    try (Connection c = database.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
