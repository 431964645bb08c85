package lims.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import lims.bench.cluster.Await;
import lims.bench.cluster.LaunchedNode;

/**
 * {@code ./lims bench reports}: does rendering reports starve interactive work (issue 22's
 * isolation claim)? One node launched as {@code ./lims node} launches it (the packaged jar,
 * a JVM of its own, default JVM options) on a fresh database of the benchmark's private
 * PostgreSQL (fsync on). Interactive requests at a steady rate, open loop (specimen
 * transitions, GETs of a specimen and of the list, registrations), measured twice:
 * (a) for {@code bench.seconds} with no report in the queue, then (b) from the moment
 * {@code bench.reports} large specimens (one analysis result document of {@code bench.rows}
 * result rows each, ≥ 50 pages) are approved — the node then renders their reports by itself,
 * one at a time — until the last of them is filed. Prints the latency percentiles of both,
 * the ratio of their p99 against the goal (≤ 1.5), reports per minute, a report's render time,
 * and where the node's CPU went in each window.
 */
public final class ReportsBench {

  static final int RATE = Integer.getInteger("bench.rate", 20);
  static final int THREADS = Integer.getInteger("bench.threads", 4);
  static final int REPORTS = Integer.getInteger("bench.reports", 20);
  static final int ROWS = Integer.getInteger("bench.rows", 2200);
  static final int QUIET_SECONDS = Integer.getInteger("bench.seconds", 60);
  static final int WARM_UP_SECONDS = Integer.getInteger("bench.warm-up", 20);
  static final int MAX_RENDER_SECONDS = Integer.getInteger("bench.max-seconds", 360);
  static final int SMALL = Integer.getInteger("bench.specimens", 800);
  /** JVM options of the node, as LIMS_JAVA_OPTS would give them; none by default, as ./lims node. */
  static final List<String> NODE_OPTIONS = Arrays.stream(System.getProperty("bench.node-opts", "").split(" ")).filter(s -> !s.isBlank()).toList();
  /** Extra environment of the node, "NAME=value,NAME=value" (e.g. LIMS_REPORT_RENDER_NICE=10); none by default. */
  static final Map<String, String> NODE_ENV = Arrays.stream(System.getProperty("bench.node-env", "").split(",")).filter(s -> s.contains("="))
      .collect(java.util.stream.Collectors.toMap(s -> s.substring(0, s.indexOf('=')), s -> s.substring(s.indexOf('=') + 1)));
  static final double GOAL = 1.5;
  static final Pattern UP = Pattern.compile("LIMS is up: (\\S+)");
  static final ObjectMapper JSON = new ObjectMapper();
  static final String REGISTRATION = "{\"client_ref\":\"bench\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}";

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> report = new ArrayList<>();
  private String base;
  private String dbUrl;
  private String tech;
  private String scientist;
  private String reviewer;
  private String admin;

  public static void main(String[] args) {
    DeviceBench.runThenExit(() -> {
      new ReportsBench().run();
      return null;
    });
  }

  void run() throws Exception {
    String startLoad = NodeCpu.loadAverage();
    dbUrl = DeviceBench.createDatabase("lims_reports_bench_" + System.currentTimeMillis());
    Path dir = Files.createTempDirectory("lims-reports-bench");
    int httpPort = LaunchedNode.freePort();
    int remotePort = LaunchedNode.freePort();
    String password = "bench-" + UUID.randomUUID();
    Map<String, String> env = new java.util.HashMap<>(NODE_ENV);
    env.putAll(Map.of("LIMS_DB_URL", dbUrl, "LIMS_DB_USER", DeviceBench.USER, "LIMS_DB_PASSWORD", "",
        "LIMS_JWT_SECRET", UUID.randomUUID() + "-" + UUID.randomUUID(), "LIMS_ADMIN_PASSWORD", password,
        "LIMS_SEED_NODES", "127.0.0.1:" + remotePort));
    LaunchedNode node = LaunchedNode.start(dir.resolve("node.log"), env, NODE_OPTIONS, List.of("cluster", "--port", String.valueOf(httpPort),
        "--remote-port", String.valueOf(remotePort), "--management-port", String.valueOf(LaunchedNode.freePort())));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (InterruptedException | AssertionError e) {
        // exiting anyway
      }
    }));
    node.awaitConsole(UP, LaunchedNode.START_BOUND);
    base = "http://127.0.0.1:" + httpPort;
    Await.until(Duration.ofMinutes(2), () -> "the node to answer /ready with 200", () -> status("GET", "/ready", null, null) == 200);
    say("node up (pid " + node.pid() + "); console " + dir.resolve("node.log"));

    admin = login("admin", password);
    tech = user("tina", "technician");
    scientist = user("sam", "scientist");
    reviewer = user("rita", "reviewer");
    List<String> small = registerSmall();
    Map<String, Object> results = resultDocument(ROWS);
    List<String> large = new ArrayList<>();
    for (int i = 0; i <= REPORTS; i++) large.add(inReview(results));
    say(small.size() + " small specimens registered; " + large.size() + " specimens of " + ROWS + " results each in review");

    // One report first, alone, so that (b) measures a node that has rendered before (fonts, classes, JIT).
    long warmStart = System.nanoTime();
    act(large.get(0), reviewer, "approve", null);
    awaitFiled(1, Duration.ofMinutes(3));
    JsonNode first = latestReport(large.get(0));
    say(String.format(Locale.ROOT, "first report: %d pages, render_ms %d, filed %.1f s after approval", first.get("pages").asInt(),
        first.get("render_ms").asLong(), (System.nanoTime() - warmStart) / 1e9));

    SteadyLoad load = new SteadyLoad(RATE, THREADS, interactive(small));
    NodeCpu cpu = new NodeCpu(node.pid());
    load.run(Duration.ofSeconds(WARM_UP_SECONDS));
    say("warm-up done; (a) " + QUIET_SECONDS + " s without reports");
    String loadA = NodeCpu.loadAverage();
    Map<String, Double> gcBefore = metrics();
    NodeCpu.Window windowA = cpu.start();
    SteadyLoad.Result quiet = load.run(Duration.ofSeconds(QUIET_SECONDS));
    NodeCpu.Use useA = windowA.end();
    Map<String, Double> gcA = metrics();

    say("(b) approving " + REPORTS + " specimens; measuring until their reports are filed");
    String loadB = NodeCpu.loadAverage();
    NodeCpu.Window windowB = cpu.start();
    long approvedAt = System.currentTimeMillis();
    ExecutorService approvals = Executors.newFixedThreadPool(4);
    CompletableFuture.allOf(large.subList(1, large.size()).stream()
        .map(id -> CompletableFuture.runAsync(() -> act(id, reviewer, "approve", null), approvals)).toArray(CompletableFuture[]::new)).join();
    approvals.shutdown();
    SteadyLoad.Result busy = load.run(Duration.ofSeconds(MAX_RENDER_SECONDS), () -> filed() >= REPORTS + 1);
    NodeCpu.Use useB = windowB.end();
    Map<String, Double> gcB = metrics();
    long filedCount = filed();
    String loadEnd = NodeCpu.loadAverage();

    List<JsonNode> rendered = new ArrayList<>();
    for (String id : large.subList(1, large.size())) {
      JsonNode r = latestReport(id);
      if (r != null) rendered.add(r);
    }
    rendered.sort((x, y) -> x.get("rendered_at").asText().compareTo(y.get("rendered_at").asText()));
    write(quiet, busy, useA, useB, gcBefore, gcA, gcB, rendered, first, approvedAt, filedCount,
        List.of(startLoad, loadA, loadB, loadEnd));
    System.out.println(String.join("\n", report));
    System.out.println("node console: " + dir.resolve("node.log"));
    node.stop();
  }

  // --- what the clients do ----------------------------------------------------------

  /**
   * The interactive mix, per 10 requests: 4 transitions along the intake path (each request
   * on another specimen, round robin, so one specimen's steps are over a minute apart and
   * never overlap), 4 GETs of a specimen, 1 GET of the list, 1 registration.
   */
  private java.util.function.LongFunction<SteadyLoad.Request> interactive(List<String> small) {
    AtomicLong transitions = new AtomicLong();
    return n -> {
      int slot = (int) (n % 10);
      if (slot % 2 == 0 && slot < 8) {
        long t = transitions.getAndIncrement();
        int step = (int) (t / small.size());
        if (step < SpecimenBench.PATH.size()) {
          String path = "/api/v1/specimens/" + small.get((int) (t % small.size())) + "/transitions";
          String body = "{\"action\":\"" + SpecimenBench.PATH.get(step) + "\"}";
          return new SteadyLoad.Request("transition", () -> status("POST", path, body, tech));
        }
      }
      if (slot == 8) return new SteadyLoad.Request("GET list", () -> status("GET", "/api/v1/specimens?limit=20", null, tech));
      if (slot == 9) return new SteadyLoad.Request("registration", () -> status("POST", "/api/v1/specimens", REGISTRATION, tech));
      String id = small.get(ThreadLocalRandom.current().nextInt(small.size()));
      return new SteadyLoad.Request("GET specimen", () -> status("GET", "/api/v1/specimens/" + id, null, tech));
    };
  }

  private List<String> registerSmall() {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<CompletableFuture<String>> registering = new ArrayList<>();
    for (int i = 0; i < SMALL; i++) {
      registering.add(CompletableFuture.supplyAsync(() -> call("POST", "/api/v1/specimens", REGISTRATION, tech).get("id").asText(), pool));
    }
    List<String> ids = registering.stream().map(CompletableFuture::join).toList();
    pool.shutdown();
    return ids;
  }

  /** A specimen walked to IN_REVIEW, its analysis reported by hand with {@code results} as its result document. */
  private String inReview(Map<String, Object> results) {
    String id = call("POST", "/api/v1/specimens", REGISTRATION, tech).get("id").asText();
    for (String action : SpecimenBench.PATH) act(id, tech, action, null);
    act(id, scientist, "start_experiment", null);
    act(id, scientist, "finish_experiment", null);
    act(id, admin, "analysis_succeeded", Map.of("result", results));
    return id;
  }

  /** An analysis result document as a pipeline writes it: a results list of {test, value, unit, flag, reference}. */
  static Map<String, Object> resultDocument(int rows) {
    String[][] panel = {{"Glucose (fasting)", "mmol/L", "3.9–5.5"}, {"HbA1c", "%", "4.0–5.6"}, {"Sodium", "mmol/L", "135–145"},
        {"Potassium", "mmol/L", "3.5–5.1"}, {"Chloride", "mmol/L", "98–107"}, {"Creatinine", "µmol/L", "59–104"},
        {"Urea", "mmol/L", "2.5–7.8"}, {"ALT", "U/L", "< 41"}, {"AST", "U/L", "< 40"}, {"CRP", "mg/L", "< 5"}, {"TSH", "mIU/L", "0.27–4.2"}};
    List<Map<String, Object>> list = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      String[] test = panel[r % panel.length];
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("test", test[0] + " (replicate " + (r / panel.length + 1) + ")");
      row.put("value", Math.round((4.2 + (r * 17 % 97) / 10.0) * 100) / 100.0);
      row.put("unit", test[1]);
      row.put("flag", r % 7 == 3 ? "H" : r % 11 == 5 ? "L" : "");
      row.put("reference", test[2]);
      list.add(row);
    }
    return Map.of("instrument", "bench-analyser", "results", list);
  }

  // --- the queue, from the database and the API ----------------------------------------------

  /** Render jobs filed (report stored, specimens told); a failed job stops the run with its reason. */
  private long filed() {
    try (Connection c = DriverManager.getConnection(dbUrl, DeviceBench.USER, ""); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT status, COUNT(*), MAX(last_error) FROM report_job GROUP BY status")) {
      long done = 0;
      while (rs.next()) {
        if (rs.getString(1).equals("failed")) throw new IllegalStateException(rs.getLong(2) + " render jobs failed: " + rs.getString(3));
        if (rs.getString(1).equals("done")) done = rs.getLong(2);
      }
      return done;
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private void awaitFiled(long jobs, Duration bound) {
    Await.until(bound, () -> jobs + " render jobs to be filed", () -> filed() >= jobs);
  }

  private JsonNode latestReport(String specimenId) {
    JsonNode reports = call("GET", "/api/v1/specimens/" + specimenId + "/reports", null, tech).get("reports");
    return reports.isEmpty() ? null : reports.get(0);
  }

  /** The node's Prometheus metrics, summed over labels, by name. */
  private Map<String, Double> metrics() {
    Map<String, Double> values = new java.util.HashMap<>();
    HttpResponse<String> reply = send("GET", "/metrics", null, admin, HttpResponse.BodyHandlers.ofString());
    for (String line : reply.body().split("\n")) {
      if (line.startsWith("#") || line.isBlank()) continue;
      String name = line.substring(0, line.indexOf(line.contains("{") ? '{' : ' '));
      try {
        double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        values.merge(name, value, Double::sum);
        if (line.contains("area=\"heap\"")) values.merge(name + ":heap", value, Double::sum);
      } catch (NumberFormatException e) {
        // not a sample
      }
    }
    return values;
  }

  // --- the report ------------------------------------------------------------------------------

  private void write(SteadyLoad.Result quiet, SteadyLoad.Result busy, NodeCpu.Use a, NodeCpu.Use b, Map<String, Double> m0,
      Map<String, Double> mA, Map<String, Double> mB, List<JsonNode> rendered, JsonNode first, long approvedAt, long filedCount,
      List<String> loads) {
    double ratio = busy.all().p(0.99) / quiet.all().p(0.99);
    report.add("## Reports rendering beside interactive work (`./lims bench reports`)");
    report.add("");
    report.add(String.format(Locale.ROOT, "- machine: %d cores, %s %s; PostgreSQL on the same machine (fsync on); load average (1/5/15 min) %s at the start, "
        + "%s before (a), %s before (b), %s at the end", Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), loads.get(0), loads.get(1), loads.get(2), loads.get(3)));
    report.add("- date: " + Instant.now());
    report.add(String.format(Locale.ROOT, "- one node (`lims.http.Main cluster`, its own JVM, options: %s; environment beyond the database's: %s; max heap %.0f MB), load generator in another JVM; "
        + "%d requests/s open loop from %d client threads, latency from each request's due time: per 10 requests 4 transitions, 4 GETs of a specimen, "
        + "1 GET of the list, 1 registration", NODE_OPTIONS.isEmpty() ? "none" : String.join(" ", NODE_OPTIONS),
        NODE_ENV.isEmpty() ? "none" : NODE_ENV.toString(),
        mA.getOrDefault("jvm_memory_max_bytes:heap", 0.0) / 1048576, RATE, THREADS));
    report.add(String.format(Locale.ROOT, "- reports: %d specimens of %d result rows each, approved at once; the node renders one at a time "
        + "(render concurrency 1) and files each (report_rendered)", REPORTS, ROWS));
    report.add("");
    report.add("| measure | (a) no reports | (b) " + REPORTS + " reports queued and rendering |");
    report.add("|---|---|---|");
    report.add(String.format(Locale.ROOT, "| window | %.0f s | %.0f s (until the last report was filed) |", quiet.seconds(), busy.seconds()));
    report.add(String.format(Locale.ROOT, "| requests answered | %d (%.1f/s), %d not 2xx | %d (%.1f/s), %d not 2xx |", quiet.all().count(),
        quiet.perSecond(), quiet.failed(), busy.all().count(), busy.perSecond(), busy.failed()));
    report.add("| **all requests** | **" + quiet.all().tail() + "** | **" + busy.all().tail() + "** |");
    for (String kind : quiet.byKind().keySet()) {
      Percentiles q = quiet.byKind().get(kind);
      Percentiles r = busy.byKind().get(kind);
      report.add("| " + kind + " | " + q.tail() + " | " + (r == null ? "–" : r.tail()) + " |");
    }
    report.add(String.format(Locale.ROOT, "| node CPU (cores of 2) | %.2f | %.2f |", a.nodeCores(), b.nodeCores()));
    report.add("| node CPU by thread (cores) | " + a.threads(6) + " | " + b.threads(6) + " |");
    report.add(String.format(Locale.ROOT, "| PostgreSQL CPU (cores) | %.2f | %.2f |", a.postgresCores(), b.postgresCores()));
    report.add(String.format(Locale.ROOT, "| machine busy (both cores, every process) | %.0f %% | %.0f %% |", a.machineBusy() * 100, b.machineBusy() * 100));
    report.add("| node GC pauses | " + gc(m0, mA) + " | " + gc(mA, mB) + " |");
    report.add("");
    report.add("| result | value |");
    report.add("|---|---|");
    report.add(String.format(Locale.ROOT, "| **p99 with reports / p99 without** | **%.2f** (%.1f ms / %.1f ms); goal ≤ %.1f: **%s** |", ratio,
        busy.all().p(0.99), quiet.all().p(0.99), GOAL, ratio <= GOAL ? "met" : "not met"));
    report.add(String.format(Locale.ROOT, "| p99.9 with / without | %.2f |", busy.all().p(0.999) / quiet.all().p(0.999)));
    report.add("| reports filed in (b) | " + (filedCount - 1) + " of " + REPORTS + " |");
    if (!rendered.isEmpty()) {
      long last = Instant.parse(rendered.get(rendered.size() - 1).get("rendered_at").asText()).toEpochMilli();
      long firstAt = Instant.parse(rendered.get(0).get("rendered_at").asText()).toEpochMilli();
      report.add(String.format(Locale.ROOT, "| reports/minute | %.1f (%d stored %.0f s after the approvals) |", rendered.size() * 60_000.0 / (last - approvedAt),
          rendered.size(), (last - approvedAt) / 1000.0));
      if (rendered.size() > 1) {
        report.add(String.format(Locale.ROOT, "| one job, from the job timings (stored to stored, the queue never empty) | %.1f s |",
            (last - firstAt) / 1000.0 / (rendered.size() - 1)));
      }
      long[] ms = rendered.stream().mapToLong(r -> r.get("render_ms").asLong()).sorted().toArray();
      int[] pages = rendered.stream().mapToInt(r -> r.get("pages").asInt()).sorted().toArray();
      double pdf = rendered.stream().mapToLong(r -> r.get("pdf_bytes").asLong()).average().orElse(0) / 1024;
      report.add(String.format(Locale.ROOT, "| pages per report | %d–%d (PDF %.0f KB each on average)%s |", pages[0], pages[pages.length - 1], pdf,
          pages[0] < 50 ? " — **fewer than 50: results missing from some reports, the run does not measure large reports**" : ""));
      report.add(String.format(Locale.ROOT, "| render time of one report (its render_ms: PDF and workbook) | median %.1f s, min %.1f s, max %.1f s |",
          ms[ms.length / 2] / 1000.0, ms[0] / 1000.0, ms[ms.length - 1] / 1000.0));
      double count = mB.getOrDefault("lims_report_render_time_seconds_count", 0.0) - mA.getOrDefault("lims_report_render_time_seconds_count", 0.0);
      double sum = mB.getOrDefault("lims_report_render_time_seconds_sum", 0.0) - mA.getOrDefault("lims_report_render_time_seconds_sum", 0.0);
      if (count > 0) report.add(String.format(Locale.ROOT, "| render time, node metric (gathering + render) | mean %.1f s over %.0f renders |", sum / count, count));
    }
    report.add(String.format(Locale.ROOT, "| first report after the node started (alone, before (a)) | %d pages, render_ms %.1f s |",
        first.get("pages").asInt(), first.get("render_ms").asLong() / 1000.0));
    report.add("");
  }

  private static String gc(Map<String, Double> before, Map<String, Double> after) {
    double count = after.getOrDefault("jvm_gc_pause_seconds_count", 0.0) - before.getOrDefault("jvm_gc_pause_seconds_count", 0.0);
    double sum = after.getOrDefault("jvm_gc_pause_seconds_sum", 0.0) - before.getOrDefault("jvm_gc_pause_seconds_sum", 0.0);
    return String.format(Locale.ROOT, "%.0f, %.0f ms in all", count, sum * 1000);
  }

  // --- HTTP ---------------------------------------------------------------------------------

  private String login(String username, String password) {
    return call("POST", "/api/v1/auth/token", JSON.valueToTree(Map.of("username", username, "password", password)).toString(), null)
        .get("access_token").asText();
  }

  private String user(String username, String role) {
    String password = username + "-bench-password";
    call("POST", "/api/v1/users", JSON.valueToTree(Map.of("username", username, "password", password, "roles", List.of(role))).toString(), admin);
    return login(username, password);
  }

  private void act(String id, String token, String action, Map<String, Object> data) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("action", action);
    if (data != null) body.put("data", data);
    call("POST", "/api/v1/specimens/" + id + "/transitions", JSON.valueToTree(body).toString(), token);
  }

  private JsonNode call(String method, String path, String body, String token) {
    HttpResponse<String> reply = send(method, path, body, token, HttpResponse.BodyHandlers.ofString());
    if (reply.statusCode() >= 300) throw new IllegalStateException(method + " " + path + " answered " + reply.statusCode() + ": " + reply.body());
    try {
      return JSON.readTree(reply.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private int status(String method, String path, String body, String token) {
    try {
      return send(method, path, body, token, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IllegalStateException e) {
      return 0;
    }
  }

  private <T> HttpResponse<T> send(String method, String path, String body, String token, HttpResponse.BodyHandler<T> handler) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) request.header("Content-Type", "application/json");
    if (token != null) request.header("Authorization", "Bearer " + token);
    try {
      return http.send(request.build(), handler);
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void say(String line) {
    System.err.println("[bench reports] " + line);
  }
}
