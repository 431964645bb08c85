package lims.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.oned.Code128Reader;
import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import lims.bench.cluster.Await;
import lims.bench.cluster.LaunchedNode;
import lims.bench.cluster.PrivatePostgres;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One user's journey through every capability of the product, started exactly as the
 * launcher starts it (a JVM of its own on the packaged jar and lib/), over HTTP only. A
 * dependency that only the test classpath has, or a resource missing from the jar, fails it.
 */
class ProductJourneyTest {

  static final Pattern UP = Pattern.compile("LIMS is up: (http://\\S+)");
  static final Pattern GENERATED_PASSWORD = Pattern.compile("user admin, password (\\S+)");
  /** Reactions, projections and timers act after the answer; this bounds each wait for them. */
  static final Duration SETTLE = Duration.ofSeconds(60);

  @Test
  void theEmbeddedDefaultAsLimsRunStartsIt() throws Exception {
    Path data = workDir().resolve("embedded-" + UUID.randomUUID()).resolve("data");
    List<String> args = List.of("embedded", "--port", String.valueOf(LaunchedNode.freePort()), "--data-dir", data.toString());
    try (LaunchedNode node = LaunchedNode.start(workDir().resolve("embedded-console.txt"), Map.of(), List.of(), args)) {
      String url = node.awaitConsole(UP, LaunchedNode.START_BOUND);
      // A newcomer reads the first-start password on the console, in a short banner, not among the log's lines.
      String password = node.awaitConsole(GENERATED_PASSWORD, Duration.ZERO);
      String banner = node.console();
      assertTrue(banner.lines().count() <= 12, "a short banner, not the log:\n" + banner);
      assertFalse(banner.contains(" INFO "), "no log lines on the console:\n" + banner);
      Path log = data.resolve("lims.log");
      assertTrue(Files.readString(log).contains("HTTP API listening"), "the whole log is in " + log);

      Client anonymous = new Client(url);
      Client admin = anonymous.as("admin", password);
      // The embedded default registers the demo instruments the README lists once the node is Up.
      Await.untilPasses(SETTLE, () -> assertEquals(6, admin.get("/api/v1/devices").expect(200).get("items").size()));
      timed("embedded", () -> journey(anonymous, password));

      assertTrue(List.of(0, 143).contains(node.stop()), "SIGTERM stops the node cleanly");
      String everything = node.console() + Files.readString(log);
      assertFalse(everything.contains("ClassNotFoundException") || everything.contains("NoClassDefFoundError"), everything);
      assertTrue(Files.readString(log).contains("Exiting completed"), "the node left its cluster before it stopped");
    }
  }

  @Test
  @Tag("postgresql")
  void aClusterNodeAsLimsNodeStartsIt() throws Exception {
    Map<String, Object> database = TestDatabase.postgresql("journey");
    String adminPassword = "journey-admin-" + UUID.randomUUID();
    Map<String, String> env = clusterEnv(String.valueOf(database.get("lims.database.password")), adminPassword);
    List<String> args = List.of("cluster",
        "--port", String.valueOf(LaunchedNode.freePort()),
        "--db-url", String.valueOf(database.get("lims.database.url")),
        "--db-user", String.valueOf(database.get("lims.database.user")),
        "--remote-port", String.valueOf(LaunchedNode.freePort()),
        "--management-port", String.valueOf(LaunchedNode.freePort()));
    try (LaunchedNode node = LaunchedNode.start(workDir().resolve("cluster-console.txt"), env, List.of(), args)) {
      String url = node.awaitConsole(UP, LaunchedNode.START_BOUND);
      timed("cluster", () -> journey(new Client(url), adminPassword));
      assertTrue(List.of(0, 143).contains(node.stop()), "SIGTERM stops the node cleanly");
      // A cluster node logs everything to its console, as service managers and log shippers expect.
      String console = node.console();
      assertTrue(console.contains("Exiting completed"), "the node left its cluster before it stopped");
      assertFalse(console.contains("ClassNotFoundException") || console.contains("NoClassDefFoundError"), console);
    }
  }

  /** Where the launched nodes' consoles and data go: target/acceptance. */
  static Path workDir() {
    return Path.of(System.getProperty("lims.acceptance.dir", "target/acceptance"));
  }

  /** What a cluster node needs in its environment: the database password, a JWT key of its own, the first admin's password. */
  static Map<String, String> clusterEnv(String databasePassword, String adminPassword) {
    return Map.of("LIMS_DB_PASSWORD", databasePassword, "LIMS_JWT_SECRET", UUID.randomUUID() + "-" + UUID.randomUUID(),
        "LIMS_ADMIN_PASSWORD", adminPassword);
  }

  /** The PostgreSQL server programs a test that stops its own server needs: it fails without them in CI, and is skipped elsewhere. */
  static Path postgresPrograms() {
    Optional<Path> programs = PrivatePostgres.binaries();
    if (programs.isEmpty()) {
      if (System.getenv("CI") != null) throw new AssertionError("CI is set, but no PostgreSQL server binaries (initdb, pg_ctl) are under /usr/lib/postgresql");
      Assumptions.abort("no PostgreSQL server binaries under /usr/lib/postgresql; ./lims test installs them");
    }
    return programs.get();
  }

  interface Step {
    void run() throws Exception;
  }

  /** Runs the journey and reports its duration (in the test's output file). */
  static void timed(String mode, Step journey) throws Exception {
    long start = System.nanoTime();
    journey.run();
    System.out.printf("journey on the %s node took %d ms%n", mode, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  static void journey(Client anonymous, String adminPassword) throws Exception {
    assertEquals(200, anonymous.get("/health").status());
    Client admin = anonymous.as("admin", adminPassword);
    assertEquals("admin", admin.get("/api/v1/auth/me").expect(200).get("username").asText());
    assertTrue(admin.get("/api/v1/openapi.yaml").body().contains("/api/v1/specimens/{id}/label"), "the OpenAPI is in the jar");
    assertTrue(anonymous.get("/metrics").body().contains("http_server_requests_seconds"), "Prometheus metrics");
    Map<String, String> roles = Map.of("tina", "technician", "sam", "scientist", "rita", "reviewer", "iris", "instrument");
    roles.forEach((user, role) -> admin.post("/api/v1/users", Map.of("username", user, "password", user + "-journey-password", "roles", List.of(role))).expect(201));
    Client tech = anonymous.as("tina", "tina-journey-password");
    Client reviewer = anonymous.as("rita", "rita-journey-password");
    Client instrument = anonymous.as("iris", "iris-journey-password");

    devices(admin, tech);
    String barcode = specimenThroughItsLifecycle(tech, reviewer, instrument);
    labTestFiresAtAReceiver(admin);
    // A read right after a write shows it (decision 0037): no waiting here or below.
    assertEquals("DELIVERED", tech.get("/api/v1/samples/" + barcode).expect(200).get("state").asText());
  }

  /** Book, queue, wait time, execute, release; then the execution log: search, NDJSON and CSV export. */
  static void devices(Client admin, Client tech) {
    admin.post("/api/v1/devices", Map.of("id", "journey-reader", "name", "Journey plate reader", "type", "plate_reader")).expect(201);
    String device = "/api/v1/devices/journey-reader";
    Instant before = Instant.now().minusSeconds(1);
    tech.post(device + "/book", Map.of("workflow_id", "wf-journey-1")).expect(200);
    JsonNode queued = tech.post(device + "/queue", Map.of("workflow_id", "wf-journey-2", "priority", "urgent",
        "operations", List.of("read_absorbance"))).expect(202);
    assertEquals(1, queued.get("position").asInt());
    assertEquals("wf-journey-2", tech.get(device + "/queue").expect(200).get(0).get("workflow_id").asText());
    JsonNode wait = tech.get(device + "/wait-time?workflow_id=wf-journey-2").expect(200);
    assertEquals(1, wait.get("position").asInt());
    assertTrue(wait.get("estimated_wait_s").asDouble() >= 0, wait.toString());

    JsonNode ran = tech.post(device + "/execute", Map.of("workflow_id", "wf-journey-1", "operation", "read_absorbance",
        "parameters", Map.of("wavelength_nm", 600))).expect(200);
    assertEquals("succeeded", ran.get("status").asText());
    String execution = ran.get("execution_id").asText();
    assertEquals("succeeded", tech.get("/api/v1/executions/" + execution).expect(200).get("status").asText());
    JsonNode released = tech.post(device + "/release", Map.of("workflow_id", "wf-journey-1")).expect(200);
    assertEquals("wf-journey-2", released.get("next_booking").get("workflow_id").asText(), "the queued request is granted");
    tech.post(device + "/release", Map.of("workflow_id", "wf-journey-2")).expect(200);

    String range = "start=" + before + "&end=" + Instant.now().plusSeconds(60) + "&device_id=journey-reader";
    JsonNode items = tech.get("/api/v1/execution-logs/search?" + range).expect(200).get("items");
    assertEquals(1, items.size(), items.toString());
    assertEquals(execution, items.get(0).get("execution_id").asText());
    Client.Reply ndjson = tech.get("/api/v1/execution-logs/export?" + range);
    assertEquals(200, ndjson.status(), ndjson.body());
    assertTrue(ndjson.contentType().startsWith("application/x-ndjson"), ndjson.contentType());
    assertEquals(1, ndjson.body().lines().filter(l -> l.contains(execution)).count(), ndjson.body());
    Client.Reply csv = tech.get("/api/v1/execution-logs/export?" + range, "text/csv");
    assertEquals(200, csv.status(), csv.body());
    assertTrue(csv.contentType().startsWith("text/csv"), csv.contentType());
    List<String> rows = csv.body().lines().toList();
    assertEquals(2, rows.size(), "a header and the one execution:\n" + csv.body());
    assertTrue(rows.get(1).contains(execution), csv.body());
  }

  /**
   * Register, barcode and its label, validate, prepare, QC, place, a test batch, a workflow of
   * two steps on the reader (which starts and ends the experiment), the analysis outcome
   * reported by hand, review, report, delivery; the chain of custody holds every step.
   */
  static String specimenThroughItsLifecycle(Client tech, Client reviewer, Client instrument) throws Exception {
    String id = tech.post("/api/v1/specimens", Map.of("client_ref", "clinic-journey", "type", "serum", "tests_requested", List.of("crp"),
        "priority", "urgent")).expect(201).get("id").asText();
    move(tech, id, "assign_barcode", Map.of(), "BARCODED");
    String barcode = tech.get("/api/v1/specimens/" + id).expect(200).get("barcode").asText();

    Client.Reply label = tech.get("/api/v1/specimens/" + id + "/label");
    assertEquals(200, label.status(), label.body());
    assertEquals("image/png", label.contentType());
    assertEquals(barcode, scan(label.bytes()), "the label scans as the specimen's barcode");
    JsonNode checks = tech.post("/api/v1/samples/validate", Map.of("barcodes", List.of(barcode, "junk"))).expect(200);
    assertTrue(checks.get(0).get("exists").asBoolean() && checks.get(0).get("valid_format").asBoolean(), checks.toString());
    assertFalse(checks.get(1).get("exists").asBoolean() || checks.get(1).get("valid_format").asBoolean(), checks.toString());

    for (String action : List.of("receive", "start_preparation", "finish_preparation")) move(tech, id, action, Map.of(), null);
    move(tech, id, "pass_qc", Map.of(), "QC_PASSED");
    tech.put("/api/v1/specimens/" + id + "/location", Map.of("plate", "P-journey", "well", "A1")).expect(200);

    String batchKey = "journey-" + id;
    Map<String, Object> batch = Map.of("batch_key", batchKey, "test_code", "crp", "specimen_ids", List.of(id));
    JsonNode created = tech.post("/api/v1/test-batches", batch).expect(201);
    assertEquals(1, created.get("analysis_requests").size(), created.toString());
    assertEquals(created.get("analysis_requests"), tech.post("/api/v1/test-batches", batch).expect(200).get("analysis_requests"), "idempotent");

    String workflow = tech.post("/api/v1/workflows", Map.of("name", "measure " + barcode, "device_id", "journey-reader",
        "sample_barcodes", List.of(barcode), "steps", List.of("read_absorbance", Map.of("operation", "read_fluorescence"))))
        .expect(201).get("id").asText();
    assertEquals("running", tech.post("/api/v1/workflows/" + workflow + "/start", Map.of()).expect(200).get("status").asText());
    awaitState(tech, id, "IN_EXPERIMENT"); // moved by the workflow's reaction
    for (int step = 0; step < 2; step++) {
      assertEquals("succeeded", tech.post("/api/v1/workflows/" + workflow + "/execute-step", null).expect(200).get("status").asText());
    }
    assertEquals("completed", tech.post("/api/v1/workflows/" + workflow + "/complete", null).expect(200).get("status").asText());
    awaitState(tech, id, "IN_ANALYSIS"); // moved by the workflow's reaction
    List<String> completed = new ArrayList<>();
    tech.get("/api/v1/workflows?status=completed").expect(200).get("items").forEach(w -> completed.add(w.get("id").asText()));
    assertTrue(completed.contains(workflow), completed.toString());

    // No analysis pipelines configured: the instrument reports the outcome by hand.
    move(instrument, id, "analysis_succeeded", Map.of("analysis_id", "AN-" + id + "-1", "crp_mg_l", "4.2"), "IN_REVIEW");
    move(reviewer, id, "approve", Map.of(), "APPROVED");
    // The report renders without anyone asking; with no SMTP server configured it is delivered by hand.
    awaitState(tech, id, "REPORTED");
    JsonNode report = tech.get("/api/v1/specimens/" + id + "/reports").expect(200).get("reports").get(0);
    Client.Reply pdf = tech.get(report.get("pdf_url").asText());
    assertEquals(200, pdf.status());
    assertEquals("application/pdf", pdf.contentType());
    assertEquals(report.get("pdf_sha256").asText(), java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(pdf.bytes())), "the PDF served is the one its event records");
    assertTrue(new String(pdf.bytes(), 0, 5, StandardCharsets.US_ASCII).startsWith("%PDF-"));
    Client.Reply xlsx = tech.get(report.get("xlsx_url").asText());
    assertEquals(200, xlsx.status());
    assertTrue(xlsx.bytes().length > 1000 && xlsx.bytes()[0] == 'P' && xlsx.bytes()[1] == 'K', "a workbook (a zip)");
    move(tech, id, "deliver", Map.of(), "DELIVERED");

    List<String> chain = new ArrayList<>();
    tech.get("/api/v1/specimens/" + id + "/history").expect(200).forEach(h -> chain.add(h.get("action").asText()));
    assertEquals(List.of("register", "assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc",
        "set_location", "start_experiment", "finish_experiment", "analysis_succeeded", "approve", "report_rendered", "deliver"), chain);
    return barcode;
  }

  static void move(Client as, String id, String action, Map<String, Object> data, String expectedState) {
    JsonNode specimen = as.post("/api/v1/specimens/" + id + "/transitions", Map.of("action", action, "data", data)).expect(200);
    if (expectedState != null) assertEquals(expectedState, specimen.get("state").asText(), action);
  }

  static void awaitState(Client as, String id, String state) {
    Await.untilPasses(SETTLE, () -> assertEquals(state, as.get("/api/v1/specimens/" + id).expect(200).get("state").asText()));
  }

  static String scan(byte[] png) throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    return new Code128Reader().decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels))))
        .getText();
  }

  /** A one-time lab test fires its HTTP action at a receiver on this machine, with the execution id as idempotency key. */
  static void labTestFiresAtAReceiver(Client admin) throws Exception {
    BlockingQueue<String> keys = new LinkedBlockingQueue<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/journey", exchange -> {
      exchange.getRequestBody().readAllBytes();
      keys.add(String.valueOf(exchange.getRequestHeaders().getFirst("Idempotency-Key")));
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    receiver.start();
    try {
      Instant due = Instant.now().plusSeconds(3);
      JsonNode test = admin.post("/api/v1/lab-tests", Map.of("title", "OD600 reading", "type", "measurement",
          "schedule", Map.of("at", due.toString()),
          "action", Map.of("kind", "http", "url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/journey"),
          "max_retries", 0)).expect(201);
      String id = test.get("id").asText();
      String key = keys.poll(SETTLE.toSeconds(), TimeUnit.SECONDS);
      assertEquals(id + "-" + due.toEpochMilli(), key, "the action fired once, keyed by its execution");
      // The execution ends after the receiver answered: asynchronous to this client, so waited for.
      Await.untilPasses(SETTLE, () -> {
        JsonNode executions = admin.get("/api/v1/lab-tests/" + id + "/executions").expect(200).get("items");
        assertEquals(1, executions.size(), executions.toString());
        assertEquals("succeeded", executions.get(0).get("status").asText());
      });
      assertEquals("completed", admin.get("/api/v1/lab-tests/" + id).expect(200).get("status").asText());
    } finally {
      receiver.stop(0);
    }
  }
}
