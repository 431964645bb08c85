package lims.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import lims.http.LimsNode;
import lims.kernel.NodeConfig;

/**
 * ./lims bench devices: one node in this JVM on a local PostgreSQL (fsync and synchronous
 * commit on), driven over HTTP as clients would drive it. Prints a Markdown report:
 * booking cycles, time-range search over a large execution log, the streamed export with
 * the heap it needed, and PostgreSQL's own insert ceiling from pgbench for comparison.
 */
public final class DeviceBench {

  static {
    lims.kernel.CommonPool.ensureParallelism(); // before the static fields below touch anything
  }

  static final ObjectMapper JSON = new ObjectMapper();
  static final String PASSWORD = "bench-admin-password";

  static final String ADMIN_URL = env("LIMS_BENCH_PG_URL", "jdbc:postgresql://127.0.0.1:5432/postgres");
  static final String USER = env("LIMS_BENCH_PG_USER", "lims");
  final int devices = Integer.getInteger("bench.devices", 1000);
  final int clients = Integer.getInteger("bench.clients", 64);
  final int seconds = Integer.getInteger("bench.seconds", 30);
  final int rows = Integer.getInteger("bench.rows", 1_000_000);
  final int searches = Integer.getInteger("bench.searches", 2000);
  /** Which parts to run: cycles, search, export, pgbench (the export needs search's rows). */
  final List<String> phases = List.of(System.getProperty("bench.phases", "cycles,search,export,pgbench").split(","));
  final HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
  final List<String> report = new ArrayList<>();
  String dbUrl;
  String base;
  String token;

  public static void main(String[] args) throws Exception {
    lims.kernel.CommonPool.ensureParallelism();
    new DeviceBench().run();
    System.exit(0);
  }

  /** Runs a benchmark's main and exits: Pekko's threads outlive a failure in main, so exit either way, with a status that says which. */
  static void runThenExit(java.util.concurrent.Callable<?> benchmark) {
    int status = 1;
    try {
      benchmark.call();
      status = 0;
    } catch (Exception | AssertionError e) {
      e.printStackTrace();
    } finally {
      System.exit(status);
    }
  }

  LimsNode node;
  /** Lab-test action kinds beyond the built-in ones (the scheduler benchmark's no-op). */
  Map<String, lims.scheduling.LabTestActions.Kind> actionKinds = Map.of();

  void run() throws Exception {
    startNode();
    header();
    if (phases.contains("cycles")) bookingCycles();
    if (phases.contains("search")) executionLogSearch();
    if (phases.contains("export")) export();
    if (phases.contains("pgbench")) pgbench(database);
    System.out.println(String.join("\n", report));
    stopNode();
  }

  String database;

  /** A node in this JVM on a fresh database of the benchmark's PostgreSQL, and an admin token. */
  void startNode() throws Exception {
    startNode(Map.of());
  }

  /** The same, with extra settings over the benchmark's. */
  void startNode(Map<String, Object> extra) throws Exception {
    database = "lims_bench_" + System.currentTimeMillis();
    dbUrl = createDatabase(database);
    startNodeOnDatabase(extra);
  }

  /** A node on the database already in {@link #dbUrl}: a fresh one, or the one a stopped node left. */
  void startNodeOnDatabase(Map<String, Object> extra) throws Exception {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("lims.database.vendor", "postgresql");
    overrides.put("lims.database.url", dbUrl);
    overrides.put("lims.database.driver", "org.postgresql.Driver");
    overrides.put("lims.database.slick-profile", "slick.jdbc.PostgresProfile$");
    overrides.put("lims.database.user", USER);
    overrides.put("lims.database.journal-pool-size", 16);
    overrides.put("pekko.projection.jdbc.dialect", "postgres-dialect");
    overrides.put("lims.device.seed-demo-devices", false);
    overrides.put("lims.device.simulated-driver.default-duration", "0ms");
    overrides.putAll(extra);
    startNodeWith(overrides);
  }

  /** A node in this JVM with these settings over the embedded defaults, on a free port, quiet, and an admin token. */
  void startNodeWith(Map<String, Object> settings) throws Exception {
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("lims.http.port", 0);
    overrides.put("lims.security.admin-password", PASSWORD);
    overrides.put("pekko.loglevel", "WARNING");
    overrides.putAll(settings);
    node = LimsNode.start(NodeConfig.load("embedded", overrides), actionKinds).toCompletableFuture().get(2, TimeUnit.MINUTES);
    node.adminReady().toCompletableFuture().get(1, TimeUnit.MINUTES);
    base = node.baseUrl();
    token = call("POST", "/api/v1/auth/token", "{\"username\":\"admin\",\"password\":\"" + PASSWORD + "\"}").get("access_token").asText();
  }

  void stopNode() throws Exception {
    node.stop().toCompletableFuture().get(1, TimeUnit.MINUTES);
  }

  void header() {
    header("Devices benchmark (`./lims bench devices`)");
  }

  /** One section of the report: a heading and a two-column table of measures. */
  void table(String heading, String... rows) {
    report.add("### " + heading);
    report.add("");
    report.add("| measure | value |");
    report.add("|---|---|");
    for (String row : rows) report.add(row);
    report.add("");
  }

  void header(String title) {
    report.add("## " + title);
    report.add("");
    report.add("- machine: " + Runtime.getRuntime().availableProcessors() + " cores, JVM max heap "
        + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax() / (1024 * 1024) + " MB, " + System.getProperty("java.vm.name")
        + " " + System.getProperty("java.version") + "; PostgreSQL " + scalar("SHOW server_version") + " on the same machine, fsync "
        + scalar("SHOW fsync") + ", synchronous_commit " + scalar("SHOW synchronous_commit"));
    report.add("- date: " + Instant.now());
    report.add("- one node and all clients in one JVM, over HTTP on loopback; simulated driver with 0 ms operations");
    report.add("");
  }

  // --- book → execute → release -------------------------------------------------------

  void bookingCycles() throws Exception {
    List<String> ids = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<CompletableFuture<?>> registering = new ArrayList<>();
    for (int i = 0; i < devices; i++) {
      String id = "bench-" + i;
      String type = i % 3 == 0 ? "liquid_handler" : i % 3 == 1 ? "incubator" : "plate_reader";
      ids.add(id);
      registering.add(CompletableFuture.runAsync(() -> call("POST", "/api/v1/devices",
          "{\"id\":\"" + id + "\",\"name\":\"Bench " + id + "\",\"type\":\"" + type + "\"}"), pool));
    }
    CompletableFuture.allOf(registering.toArray(CompletableFuture[]::new)).join();

    run(ids, pool, Duration.ofSeconds(5), new Percentiles(), new Percentiles()); // warm-up
    long eventsBefore = longScalar("SELECT COUNT(*) FROM event_journal");
    Percentiles cycle = new Percentiles();
    Percentiles request = new Percentiles();
    long start = System.nanoTime();
    long errors = run(ids, pool, Duration.ofSeconds(seconds), cycle, request);
    double elapsed = (System.nanoTime() - start) / 1e9;
    long events = longScalar("SELECT COUNT(*) FROM event_journal") - eventsBefore;
    pool.shutdown();

    report.add("### Book → execute → release, " + devices + " devices, " + clients + " concurrent clients, " + seconds + " s");
    report.add("");
    report.add("| measure | value |");
    report.add("|---|---|");
    report.add(String.format("| cycles/s | %.0f |", cycle.count() / elapsed));
    report.add("| cycle latency | " + cycle.summary() + " |");
    report.add(String.format("| HTTP requests/s | %.0f |", request.count() / elapsed));
    report.add("| request latency | " + request.summary() + " |");
    report.add(String.format("| journal events/s (counted in event_journal) | %.0f |", events / elapsed));
    report.add("| failed requests | " + errors + " |");
    report.add("");
    journalEventsPerSecond = events / elapsed;
  }

  double journalEventsPerSecond;

  /** Each client owns every clients-th device, so cycles measure the system, not contention. */
  long run(List<String> ids, ExecutorService pool, Duration length, Percentiles cycle, Percentiles request) throws Exception {
    long deadline = System.nanoTime() + length.toNanos();
    LongAdder errors = new LongAdder();
    AtomicLong workflows = new AtomicLong();
    List<CompletableFuture<?>> workers = new ArrayList<>();
    for (int w = 0; w < clients; w++) {
      int worker = w;
      workers.add(CompletableFuture.runAsync(() -> {
        int k = 0;
        while (System.nanoTime() < deadline) {
          int index = worker + clients * (k++ % Math.max(1, devices / clients));
          if (index >= ids.size()) index = worker;
          String id = ids.get(index);
          String op = index % 3 == 0 ? "mix" : index % 3 == 1 ? "shake" : "read_absorbance";
          String wf = "wf-" + workflows.incrementAndGet();
          long t0 = System.nanoTime();
          boolean ok = timed(request, "POST", "/api/v1/devices/" + id + "/book", "{\"workflow_id\":\"" + wf + "\"}")
              && timed(request, "POST", "/api/v1/devices/" + id + "/execute", "{\"workflow_id\":\"" + wf + "\",\"operation\":\"" + op + "\"}")
              && timed(request, "POST", "/api/v1/devices/" + id + "/release", "{\"workflow_id\":\"" + wf + "\"}");
          if (ok) cycle.add(System.nanoTime() - t0);
          else errors.increment();
        }
      }, pool));
    }
    CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
    return errors.sum();
  }

  boolean timed(Percentiles latency, String method, String path, String body) {
    long t0 = System.nanoTime();
    int status = send(method, path, body, HttpResponse.BodyHandlers.discarding()).statusCode();
    latency.add(System.nanoTime() - t0);
    return status == 200;
  }

  // --- search over a large execution log --------------------------------------------

  static final Instant LOG_START = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration LOG_SPAN = Duration.ofDays(30);

  void executionLogSearch() throws Exception {
    long t0 = System.nanoTime();
    try (Connection c = DriverManager.getConnection(dbUrl, USER, "")) {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement("INSERT INTO execution_log (execution_id, device_id, device_type, workflow_id,"
          + " operation, parameters, status, started_at, finished_at, duration_ms, result) VALUES (?, ?, ?, ?, ?, '{}', 'succeeded', ?, ?, ?, '{}')")) {
        Random random = new Random(7);
        for (int i = 0; i < rows; i++) {
          int device = random.nextInt(devices);
          Instant at = LOG_START.plusMillis((long) (random.nextDouble() * LOG_SPAN.toMillis()));
          s.setString(1, "bench-" + device + ".h" + i);
          s.setString(2, "bench-" + device);
          s.setString(3, "plate_reader");
          s.setString(4, "wf-history-" + i / 10);
          s.setString(5, "read_absorbance");
          s.setObject(6, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
          s.setObject(7, OffsetDateTime.ofInstant(at.plusMillis(250), ZoneOffset.UTC));
          s.setLong(8, 250);
          s.addBatch();
          if (i % 10_000 == 9_999) {
            s.executeBatch();
            c.commit();
          }
        }
        s.executeBatch();
        c.commit();
      }
      c.setAutoCommit(true);
      try (Statement st = c.createStatement()) {
        st.execute("ANALYZE execution_log");
      }
    }
    double loadSeconds = (System.nanoTime() - t0) / 1e9;

    Percentiles all = new Percentiles();
    Percentiles byDevice = new Percentiles();
    Random random = new Random(11);
    long returned = 0;
    for (int i = 0; i < searches; i++) {
      Instant from = LOG_START.plusSeconds((long) (random.nextDouble() * (LOG_SPAN.toSeconds() - 3600)));
      boolean oneDevice = i % 2 == 1;
      String path = "/api/v1/execution-logs/search?limit=50&start=" + from + "&end=" + from.plusSeconds(3600)
          + (oneDevice ? "&device_id=bench-" + random.nextInt(devices) : "");
      long q0 = System.nanoTime();
      HttpResponse<String> reply = send("GET", path, null, HttpResponse.BodyHandlers.ofString());
      (oneDevice ? byDevice : all).add(System.nanoTime() - q0);
      if (reply.statusCode() != 200) throw new IllegalStateException("search answered " + reply.statusCode() + ": " + reply.body());
      returned += JSON.readTree(reply.body()).get("items").size();
    }
    String plan = planOf("EXPLAIN SELECT execution_id FROM execution_log WHERE started_at >= now() - interval '1 hour' AND started_at < now()"
        + " ORDER BY started_at DESC, execution_id DESC LIMIT 51");

    report.add("### Execution-log search over " + String.format("%,d", rows) + " rows (1-hour windows, newest 50 first, over HTTP)");
    report.add("");
    report.add("| measure | value |");
    report.add("|---|---|");
    report.add(String.format("| load of %,d rows (JDBC batches of 10,000) | %.1f s (%,.0f rows/s) |", rows, loadSeconds, rows / loadSeconds));
    report.add("| all devices, " + searches / 2 + " searches | " + all.summary() + " |");
    report.add("| one device, " + searches / 2 + " searches | " + byDevice.summary() + " |");
    report.add(String.format("| rows returned per search (mean) | %.1f |", (double) returned / searches));
    report.add("| plan | `" + plan + "` |");
    report.add(String.format("| goal p99 < 20 ms | %s |", Math.max(all.p(0.99), byDevice.p(0.99)) < 20 ? "met" : "NOT met"));
    report.add("");
  }

  // --- export -------------------------------------------------------------------------

  void export() throws Exception {
    var memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long baseline = memory.getHeapMemoryUsage().getUsed();
    AtomicLong peak = new AtomicLong(baseline);
    var sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleAtFixedRate(() -> peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max), 0, 10, TimeUnit.MILLISECONDS);
    long t0 = System.nanoTime();
    HttpResponse<java.util.stream.Stream<String>> reply = send("GET", "/api/v1/execution-logs/export", null, HttpResponse.BodyHandlers.ofLines());
    long lines = reply.body().count();
    double seconds = (System.nanoTime() - t0) / 1e9;
    sampler.shutdownNow();
    long max = memory.getHeapMemoryUsage().getMax();

    report.add("### Export of every execution-log row (NDJSON, streamed from a cursor)");
    report.add("");
    report.add("| measure | value |");
    report.add("|---|---|");
    report.add(String.format("| rows exported | %,d |", lines));
    report.add(String.format("| time | %.1f s (%,.0f rows/s) |", seconds, lines / seconds));
    report.add(String.format("| heap used before / peak during (whole JVM: node and client) | %d MB / %d MB of a %d MB maximum |",
        baseline >> 20, peak.get() >> 20, max >> 20));
    report.add(String.format("| goal: under 256 MB heap | %s |", peak.get() < 256L << 20 && max <= 256L << 20 ? "met (the JVM could not use more)" : "see numbers"));
    report.add("");
  }

  // --- PostgreSQL's own ceiling ---------------------------------------------------------

  void pgbench(String database) throws Exception {
    sql(dbUrl, "CREATE TABLE pgbench_journal (persistence_id VARCHAR(255) NOT NULL, sequence_number BIGINT NOT NULL,"
        + " payload BYTEA NOT NULL, PRIMARY KEY (persistence_id, sequence_number))");
    double single = pgbenchRowsPerSecond(database, 1);
    double batched = pgbenchRowsPerSecond(database, 100);
    report.add("### PostgreSQL's own insert ceiling (pgbench, 8 clients, 20 s, rows shaped like journal rows)");
    report.add("");
    report.add("| run | rows/s | journal events/s as a fraction |");
    report.add("|---|---|---|");
    report.add(String.format("| one row per transaction (how events are persisted) | %,.0f | %.0f %% |", single, 100 * journalEventsPerSecond / single));
    report.add(String.format("| 100-row batches | %,.0f | %.0f %% |", batched, 100 * journalEventsPerSecond / batched));
    report.add("");
  }

  double pgbenchRowsPerSecond(String database, int rowsPerTransaction) throws Exception {
    Path script = Files.createTempFile("pgbench", ".sql");
    Files.writeString(script, "\\set r random(1, 2000000000)\n"
        + "INSERT INTO pgbench_journal SELECT 'p-' || :r || '-' || g, g, decode(repeat('ab', 150), 'hex') FROM generate_series(1, "
        + rowsPerTransaction + ") g;\n");
    URI uri = URI.create(ADMIN_URL.substring("jdbc:".length()));
    Process p = new ProcessBuilder("pgbench", "-n", "-c", "8", "-j", "2", "-T", "20", "-f", script.toString(),
        "-h", uri.getHost(), "-p", Integer.toString(uri.getPort()), "-U", USER, database)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    for (String line : out.split("\n")) {
      if (line.startsWith("tps = ")) {
        return Double.parseDouble(line.substring(6).split(" ")[0]) * rowsPerTransaction;
      }
    }
    throw new IllegalStateException("pgbench said: " + out);
  }

  // --- plumbing -----------------------------------------------------------------------

  JsonNode call(String method, String path, String body) {
    HttpResponse<String> reply = send(method, path, body, HttpResponse.BodyHandlers.ofString());
    if (reply.statusCode() >= 300) throw new IllegalStateException(method + " " + path + " answered " + reply.statusCode() + ": " + reply.body());
    try {
      return JSON.readTree(reply.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  <T> HttpResponse<T> send(String method, String path, String body, HttpResponse.BodyHandler<T> handler) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").timeout(Duration.ofMinutes(5));
    if (token != null) request.header("Authorization", "Bearer " + token);
    try {
      return http.send(request.build(), handler);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Creates a database on the benchmark's PostgreSQL; returns its JDBC URL. */
  static String createDatabase(String name) throws Exception {
    sql(ADMIN_URL, "CREATE DATABASE " + name);
    return ADMIN_URL.replaceFirst("/[^/?]*(\\?.*)?$", "/" + name + "?reWriteBatchedInserts=true");
  }

  static void sql(String url, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(url, USER, ""); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  String scalar(String query) {
    try (Connection c = DriverManager.getConnection(ADMIN_URL, USER, ""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      return "?";
    }
  }

  long longScalar(String query) throws Exception {
    try (Connection c = DriverManager.getConnection(dbUrl, USER, ""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  String planOf(String explain) throws Exception {
    List<String> lines = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(dbUrl, USER, ""); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(explain)) {
      while (rs.next()) lines.add(rs.getString(1).strip());
    }
    return String.join(" / ", lines);
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
