package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Lab tests through a node's crash (decision 0041): three node processes on one PostgreSQL,
 * lab tests firing an HTTP action at a receiver in this JVM every second (misfire policy
 * {@code fire_all}) and once at instants during the failover, and a node killed with SIGKILL
 * — first a young one, then the oldest, which holds the singletons (the deadline sweeper, the
 * shard coordinator). Every instant of every test must fire, each as one execution, and the
 * instants due while the node was gone must fire within 15 s (p99). The split-brain resolver
 * and the removal margin are set as node.conf ships them (decision 0038): 5 s and 1 s.
 * The figures go to target/failover (report.txt, arrivals.csv) and the test's output.
 */
@Tag("postgresql")
class LabTestFailoverTest {

  static final String ADMIN_PASSWORD = "failover-admin-password";
  static final Duration START_BOUND = Duration.ofMinutes(3);
  /**
   * The goal is 15 s (issue 19; ./lims chaos measures it on an otherwise idle machine). Here
   * four nodes and PostgreSQL share CI's two cores with the build: the bound that fails the
   * test is wider, for a failover that went wrong (a sweep that never came: 69 s), not one
   * that ran on a busy machine. The report prints the figures either way.
   */
  static final Duration LATENESS_BOUND = Duration.ofSeconds(25);
  /** Every second; a dozen, so that each node holds some. */
  static final int CRON_TESTS = 12;
  /** One-time tests due every second from the kill on. */
  static final int ONE_TIME_TESTS = 16;

  /** Arrivals at the receiver: execution id (the Idempotency-Key) and when it came. */
  record Arrival(String executionId, Instant at) {
    Instant dueAt() {
      return Instant.ofEpochMilli(Long.parseLong(executionId.substring(executionId.lastIndexOf('-') + 1)));
    }

    String labTestId() {
      return executionId.substring(0, executionId.lastIndexOf('-'));
    }

    Duration lateness() {
      return Duration.between(dueAt(), at);
    }
  }

  final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
  /** The lab tests firing every second. */
  final List<String> cron = new ArrayList<>();
  final List<Node> nodes = new ArrayList<>();
  final Map<String, Object> database = TestDatabase.postgresql("failover");
  final Path dir = Path.of("target", "failover");
  HttpServer receiver;

  /** A node process: {@code lims.http.Main node}, this test's class path, its console in a file. */
  final class Node {
    final String name;
    final int httpPort = freePort();
    final int remotePort = freePort();
    final Process process;
    final ApiClient api;

    Node(String name, String seed) throws IOException {
      this.name = name;
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
          // Set here with stable-after below, as node.conf ships them (decision 0038), so that
          // the figures measured do not move when the shipped defaults do.
          "-Dpekko.cluster.down-removal-margin=1s",
          "-cp", System.getProperty("java.class.path"), Main.class.getName(), "cluster"));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(Files.createDirectories(dir).resolve(name + "-console.txt").toFile());
      builder.environment().keySet().removeIf(k -> k.startsWith("LIMS_"));
      builder.environment().putAll(Map.ofEntries(
          Map.entry("LIMS_DB_URL", (String) database.get("lims.database.url")),
          Map.entry("LIMS_DB_USER", (String) database.get("lims.database.user")),
          Map.entry("LIMS_DB_PASSWORD", (String) database.get("lims.database.password")),
          Map.entry("LIMS_DB_POOL_SIZE", "4"),
          Map.entry("LIMS_DB_JOURNAL_POOL_SIZE", "6"),
          Map.entry("LIMS_JWT_SECRET", "failover-test-secret-of-at-least-32-bytes"),
          Map.entry("LIMS_ADMIN_PASSWORD", ADMIN_PASSWORD),
          Map.entry("LIMS_SEED_NODES", seed == null ? "127.0.0.1:" + remotePort : seed),
          Map.entry("LIMS_REMOTE_HOST", "127.0.0.1"),
          Map.entry("LIMS_REMOTE_PORT", String.valueOf(remotePort)),
          Map.entry("LIMS_HTTP_HOST", "127.0.0.1"),
          Map.entry("LIMS_HTTP_PORT", String.valueOf(httpPort)),
          Map.entry("LIMS_MANAGEMENT_ENABLED", "false"),
          Map.entry("LIMS_SBR_STABLE_AFTER", "5s"),
          // A periodic sweep a minute apart: only the sweep after a member's removal (or the
          // sweeper's start on a new node) can wake the dead node's tests in time, so this
          // test fails without it instead of passing when a periodic sweep happens to fall
          // inside the removal margin (with the shipped 5 s it does, two times in five).
          Map.entry("LIMS_DEADLINE_SWEEP_INTERVAL", "60s"),
          Map.entry("LIMS_DEADLINE_LOOKAHEAD", "90s"),
          Map.entry("LIMS_LOG_FORMAT", "text")));
      this.process = builder.start();
      this.api = new ApiClient("http://127.0.0.1:" + httpPort);
    }

    String seed() {
      return "127.0.0.1:" + remotePort;
    }

    boolean ready() {
      if (!process.isAlive()) throw new AssertionError(name + " exited (" + process.exitValue() + "): see its console in " + dir);
      try {
        return api.get("/ready", null).status() == 200;
      } catch (RuntimeException e) {
        return false;
      }
    }

    /** SIGKILL: no coordinated shutdown, no leaving; the cluster has to notice. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " did not die");
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Node node : nodes) {
      node.process.destroy();
      if (!node.process.waitFor(60, TimeUnit.SECONDS)) node.process.destroyForcibly();
    }
    if (receiver != null) receiver.stop(0);
  }

  @Test
  void labTestsDueWhileANodeIsKilledFireEveryInstantOnceAndWithinFifteenSeconds() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.setExecutor(Executors.newCachedThreadPool());
    receiver.createContext("/", exchange -> {
      arrivals.add(new Arrival(exchange.getRequestHeaders().getFirst("Idempotency-Key"), Instant.now()));
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    receiver.start();
    String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/measure";

    // Four nodes from the start: one joining later would move shards (and their tests) while a failover is measured.
    Node oldest = start("node-1", null);
    Node young = start("node-2", oldest.seed());
    Node third = start("node-3", oldest.seed());
    Node fourth = start("node-4", oldest.seed());
    String admin = oldest.api.login("admin", ADMIN_PASSWORD);

    for (int i = 0; i < CRON_TESTS; i++) {
      cron.add(create(third, admin, "{\"title\":\"OD600 every second " + i + "\",\"schedule\":{\"cron\":\"* * * * * ?\",\"timezone\":\"UTC\"},"
          + "\"action\":{\"kind\":\"http\",\"url\":\"" + url + "\"},\"max_retries\":0,\"misfire_policy\":\"fire_all\"}"));
    }
    await(Duration.ofMinutes(1), () -> "every cron test firing", () -> cron.stream().allMatch(id -> arrivalsOf(id).size() >= 3));

    List<Failover> failovers = new ArrayList<>();
    failovers.add(failover(young, third, admin, url));
    // Then the oldest, which holds the singletons; three of four remain a majority after it.
    failovers.add(failover(oldest, third, admin, url));

    Instant end = failovers.get(failovers.size() - 1).killedAt().plusSeconds(40);
    await(Duration.ofMinutes(1), () -> "every cron test past " + end, () -> cron.stream().allMatch(id -> arrivalsOf(id).stream()
        .anyMatch(a -> a.dueAt().isAfter(end))));

    StringBuilder report = new StringBuilder("lab-test failover (kill -9, stable-after 5 s, removal margin 1 s):\n");
    List<Runnable> checks = new ArrayList<>();
    for (Failover f : failovers) {
      // Each instant's first call: a call repeated by a resumed execution is not a second fire.
      List<Duration> lateness = arrivals.stream()
          .filter(a -> !a.dueAt().isBefore(f.killedAt()) && a.dueAt().isBefore(f.killedAt().plusSeconds(ONE_TIME_TESTS)))
          .filter(a -> firstArrival(a.executionId()) == a).map(Arrival::lateness).sorted().toList();
      List<Duration> late = lateness.stream().filter(d -> d.compareTo(Duration.ofSeconds(1)) > 0).toList();
      List<Duration> oneTime = f.oneTime().stream().map(id -> arrivalsOf(id).get(0).lateness()).sorted().toList();
      report.append(String.format("  %s killed: %d instants due in the %d s after; lateness p50 %s, p99 %s, max %s; %d of them later than 1 s"
              + " (min %s); one-time tests due then: p50 %s, max %s%n", f.killed(), lateness.size(), ONE_TIME_TESTS, ms(lateness, 0.5),
          ms(lateness, 0.99), ms(lateness, 1.0), late.size(), ms(late, 0.0), ms(oneTime, 0.5), ms(oneTime, 1.0)));
      checks.add(() -> assertTrue(percentile(lateness, 0.99).compareTo(LATENESS_BOUND) < 0, f.killed() + ": p99 over the bound\n" + report));
      checks.add(() -> assertTrue(percentile(oneTime, 1.0).compareTo(LATENESS_BOUND) < 0, f.killed() + ": a one-time test over the bound\n" + report));
    }
    long repeated = arrivals.size() - arrivals.stream().map(Arrival::executionId).distinct().count();
    report.append("  actions called again with the same execution id (resumed after the kill): ").append(repeated);
    System.out.println(report);
    Files.writeString(dir.resolve("report.txt"), report);
    StringBuilder csv = new StringBuilder("execution_id,due_at,arrived_at,lateness_ms\n");
    for (Arrival a : arrivals) csv.append(a.executionId()).append(',').append(a.dueAt()).append(',').append(a.at()).append(',')
        .append(a.lateness().toMillis()).append('\n');
    Files.writeString(dir.resolve("arrivals.csv"), csv);
    Files.writeString(dir.resolve("kills.txt"), failovers.toString());

    // Every cron test fired every instant from its first on, each as an execution of its own.
    for (String id : cron) {
      TreeSet<Instant> due = new TreeSet<>();
      arrivalsOf(id).forEach(a -> due.add(a.dueAt()));
      for (Instant at = due.first(); at.isBefore(end); at = at.plusSeconds(1)) {
        assertTrue(due.contains(at), id + " never fired its instant " + at + "\n" + report);
      }
    }
    String history = fourth.api.get("/api/v1/lab-tests/" + cron.get(0) + "/executions?limit=500", admin).body();
    assertTrue(!history.contains("\"status\":\"missed\""), "nothing was more than the catch-up window late: " + history);
    checks.forEach(Runnable::run);
  }

  record Failover(String killed, Instant killedAt, List<String> oneTime) {}

  /**
   * Kills {@code victim} while one-time tests are due every second from the kill on, and waits
   * until those and the cron tests have fired past the failover.
   */
  Failover failover(Node victim, Node survivor, String admin, String url) throws Exception {
    // Shards still moving to a node that just joined would make their tests late too: start from a cluster firing on time.
    await(Duration.ofMinutes(2), () -> "the cron tests to fire on time for 10 s", () -> {
      Instant since = Instant.now().minusSeconds(10);
      List<Arrival> recent = arrivals.stream().filter(a -> a.dueAt().isAfter(since)).toList();
      return recent.stream().allMatch(a -> a.lateness().compareTo(Duration.ofSeconds(1)) < 0)
          && cron.stream().allMatch(id -> recent.stream().filter(a -> a.labTestId().equals(id)).count() >= 9);
    });
    Instant killAt = Instant.now().plusSeconds(2).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    List<String> oneTime = new ArrayList<>();
    for (int i = 0; i < ONE_TIME_TESTS; i++) {
      oneTime.add(create(survivor, admin, "{\"title\":\"sample " + i + "\",\"schedule\":{\"at\":\"" + killAt.plusSeconds(i)
          + "\"},\"action\":{\"kind\":\"http\",\"url\":\"" + url + "\"},\"max_retries\":0}"));
    }
    await(Duration.ofSeconds(10), () -> "the instant of the kill", () -> !Instant.now().isBefore(killAt));
    victim.kill();
    Instant killedAt = Instant.now();
    await(Duration.ofMinutes(2), () -> "the one-time tests due after killing " + victim.name + " to fire",
        () -> oneTime.stream().allMatch(id -> !arrivalsOf(id).isEmpty()));
    return new Failover(victim.name, killedAt, oneTime);
  }

  Node start(String name, String seed) throws Exception {
    Node node = new Node(name, seed);
    nodes.add(node);
    await(START_BOUND, () -> name + " to be ready (see " + dir.resolve(name + "-console.txt") + ")", node::ready);
    return node;
  }

  static String create(Node on, String token, String body) {
    ApiClient.Reply reply = on.api.post("/api/v1/lab-tests", token, body);
    assertEquals(201, reply.status(), reply.body());
    return reply.json().get("id").asText();
  }

  List<Arrival> arrivalsOf(String labTestId) {
    return arrivals.stream().filter(a -> a.labTestId().equals(labTestId)).toList();
  }

  Arrival firstArrival(String executionId) {
    return arrivals.stream().filter(a -> a.executionId().equals(executionId)).findFirst().orElseThrow();
  }

  static Duration percentile(List<Duration> sorted, double p) {
    if (sorted.isEmpty()) return Duration.ZERO;
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - (p == 0 ? 0 : 1)));
  }

  static String ms(List<Duration> sorted, double p) {
    return sorted.isEmpty() ? "-" : percentile(sorted, p).toMillis() + " ms";
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Polls {@code condition} until it holds; fails after {@code bound}. */
  static void await(Duration bound, Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("waited " + bound.toSeconds() + " s for " + what.get());
      Thread.sleep(100); // a poll interval, not a wait for the condition
    }
  }
}
