package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * Lab tests through a node's crash (decision 0041): four node processes on one PostgreSQL,
 * lab tests firing an HTTP action at a receiver in this JVM every second (misfire policy
 * {@code fire_all}) and once at instants during the failover, and a node killed with SIGKILL
 * — first a young one, then the oldest, which holds the singletons (the deadline sweeper, the
 * shard coordinator). Every instant of every test must fire, each as one execution, and the
 * instants due while the node was gone must fire as soon as the cluster lets their shards
 * move: within the removal margin and {@link #AFTER_REMOVAL} of the dead node's removal. The
 * split-brain resolver and the removal margin are set as node.conf ships them (decision
 * 0038): 5 s and 2 s. How late that makes the instants (the issue's goal: p99 under 15 s) is
 * reported, not asserted: most of it is the cluster's failure detection and resolver, whose
 * times stretch on a loaded machine. The figures go to target/failover (report.txt,
 * arrivals.csv) and the test's output.
 */
@Tag("postgresql")
class LabTestFailoverTest {

  static final String ADMIN_PASSWORD = "failover-admin-password";
  static final Duration START_BOUND = Duration.ofMinutes(3);
  /** The issue's goal for instants due during a failover, reported beside the figures. */
  static final Duration LATENESS_GOAL = Duration.ofSeconds(15);
  static final Duration REMOVAL_MARGIN = Duration.ofSeconds(2);
  /**
   * After the removal margin, the bound on waking a dead node's test and its first fire. A
   * young node's: the sweeper's half second, the removal's gossip reaching it, the wake, the
   * test's recovery and its first execution (measured 0.8-2 s past the margin). The oldest's:
   * its singletons, the shard coordinator and the sweeper, start elsewhere after the margin,
   * and the coordinator reads its state before it places shards (2-3.5 s past the margin on
   * a loaded machine). Without the sweep after a removal, a young node's tests wait for the
   * next periodic sweep, here up to a minute away.
   */
  static final Duration AFTER_REMOVAL = Duration.ofSeconds(5);
  /** Every second; 32, so that each node's partitions hold some (all but surely: about 1 in 25,000 that one of four holds none). */
  static final int CRON_TESTS = 32;
  /** One-time tests due every second from the kill on. */
  static final int ONE_TIME_TESTS = 16;

  /** The nodes that have called the receiver (Lims-Node). */
  private final java.util.Set<String> callers = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
          "-Dpekko.cluster.down-removal-margin=" + REMOVAL_MARGIN.toSeconds() + "s",
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
          // JSON lines: full timestamps, read back for the dead node's removal.
          Map.entry("LIMS_LOG_FORMAT", "json")));
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

    /** When the log says the cluster leader removed {@code member}, if it does yet. */
    Optional<Instant> removed(Node member) throws IOException {
      String removing = "Leader is removing unreachable node [pekko://lims@" + member.seed() + "]";
      for (String line : Files.readAllLines(dir.resolve(name + "-console.txt"))) {
        if (!line.startsWith("{") || !line.contains(removing)) continue;
        JsonNode entry = ApiClient.JSON.readTree(line);
        if (entry.path("message").asText().contains(removing)) return Optional.of(OffsetDateTime.parse(entry.get("@timestamp").asText()).toInstant());
      }
      return Optional.empty();
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
  void labTestsDueWhileANodeIsKilledFireEveryInstantOnceAsSoonAsTheirShardsCanMove() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.setExecutor(Executors.newCachedThreadPool());
    receiver.createContext("/", exchange -> {
      arrivals.add(new Arrival(exchange.getRequestHeaders().getFirst("Idempotency-Key"), Instant.now()));
      String caller = exchange.getRequestHeaders().getFirst("Lims-Node");
      if (caller != null) callers.add(caller);
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
    // The keeper starts the partitions on the first node; the joiners take their share in one
    // rebalance round (decision 0064). Each node's calls show it holds its share.
    await(Duration.ofMinutes(1), () -> "all four nodes firing tests: " + callers, () -> callers.size() == 4);

    List<Failover> failovers = new ArrayList<>();
    failovers.add(failover(young, third, admin, url));
    // Then the oldest, which holds the singletons; two of the three left remain a majority after it.
    failovers.add(failover(oldest, third, admin, url));

    Instant end = failovers.get(failovers.size() - 1).killedAt().plusSeconds(40);
    await(Duration.ofMinutes(1), () -> "every cron test past " + end, () -> cron.stream().allMatch(id -> arrivalsOf(id).stream()
        .anyMatch(a -> a.dueAt().isAfter(end))));

    StringBuilder report = new StringBuilder("lab-test failover (kill -9, stable-after 5 s, removal margin 2 s):\n");
    List<Runnable> checks = new ArrayList<>();
    for (Failover f : failovers) {
      // Each instant's first call: a call repeated by a resumed execution is not a second fire.
      List<Duration> lateness = arrivals.stream()
          .filter(a -> !a.dueAt().isBefore(f.killedAt()) && a.dueAt().isBefore(f.killedAt().plusSeconds(ONE_TIME_TESTS)))
          .filter(a -> firstArrival(a.executionId()) == a).map(Arrival::lateness).sorted().toList();
      List<Duration> late = lateness.stream().filter(d -> d.compareTo(Duration.ofSeconds(1)) > 0).toList();
      List<Duration> oneTime = f.oneTime().stream().map(id -> arrivalsOf(id).get(0).lateness()).sorted().toList();
      // The dead node's tests: their instants due before its removal fired after it, once their shards could move. How long after.
      List<Duration> afterRemoval = arrivals.stream().filter(a -> !a.dueAt().isBefore(f.killedAt()) && a.dueAt().isBefore(f.removedAt()))
          .filter(a -> a.at().isAfter(f.removedAt()) && firstArrival(a.executionId()) == a).map(a -> Duration.between(f.removedAt(), a.at()))
          .sorted().toList();
      report.append(String.format("  %s killed: removed by the leader %d ms later; the %d instants due in the %d s after the kill were"
              + " late p50 %s, p99 %s, max %s (goal: p99 under %d s); %d of them later than 1 s (min %s); one-time tests due then: p50 %s,"
              + " max %s; instants due before the removal fired %s to %s after it%n", f.killed(),
          Duration.between(f.killedAt(), f.removedAt()).toMillis(), lateness.size(), ONE_TIME_TESTS, ms(lateness, 0.5), ms(lateness, 0.99),
          ms(lateness, 1.0), LATENESS_GOAL.toSeconds(), late.size(), ms(late, 0.0), ms(oneTime, 0.5), ms(oneTime, 1.0), ms(afterRemoval, 0.0),
          ms(afterRemoval, 1.0)));
      checks.add(() -> assertTrue(!afterRemoval.isEmpty(), f.killed() + " held none of the tests"));
      checks.add(() -> assertTrue(percentile(afterRemoval, 1.0).compareTo(REMOVAL_MARGIN.plus(AFTER_REMOVAL)) < 0,
          f.killed() + ": a test fired more than " + REMOVAL_MARGIN.plus(AFTER_REMOVAL).toMillis() + " ms after the dead node's removal"));
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

  /** A node killed at {@code killedAt}, and removed from the cluster by its leader at {@code removedAt}. */
  record Failover(String killed, Instant killedAt, Instant removedAt, List<String> oneTime) {}

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
    Instant[] removedAt = new Instant[1];
    await(Duration.ofSeconds(30), () -> "a log line saying the leader removed " + victim.name, () -> {
      for (Node node : nodes) {
        if (node == victim) continue;
        try {
          Optional<Instant> removed = node.removed(victim);
          if (removed.isPresent() && (removedAt[0] == null || removed.get().isBefore(removedAt[0]))) removedAt[0] = removed.get();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return removedAt[0] != null;
    });
    return new Failover(victim.name, killedAt, removedAt[0], oneTime);
  }

  Node start(String name, String seed) throws Exception {
    Node node = new Node(name, seed);
    nodes.add(node);
    await(START_BOUND, () -> name + " to be ready (see " + dir.resolve(name + "-console.txt") + ")", node::ready);
    return node;
  }

  /**
   * Creates a lab test. A 503 (no answer within the ask time-out: shards still settling on a
   * cluster just formed, on a loaded machine) is tried again, as any client would, a few
   * times; a test the first try did create then fires unlisted, which changes no check.
   */
  static String create(Node on, String token, String body) {
    ApiClient.Reply reply = on.api.post("/api/v1/lab-tests", token, body);
    for (int tries = 1; reply.status() == 503 && tries < 5; tries++) reply = on.api.post("/api/v1/lab-tests", token, body);
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
