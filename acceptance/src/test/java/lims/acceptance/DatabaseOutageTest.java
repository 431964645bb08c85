package lims.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import lims.bench.cluster.Await;
import lims.bench.cluster.LaunchedNode;
import lims.bench.cluster.PrivatePostgres;
import org.junit.jupiter.api.Test;

/**
 * A cluster node whose PostgreSQL stops and starts again, as an operator or a crash does it
 * (decision 0039). The node, packaged and in a JVM of its own, runs on a PostgreSQL of this
 * test's own. While the database is down, every path answers 503 problem+json within the ask
 * time-out (writes to an entity, specimen registration with its id from a database sequence,
 * lists that wait for their read table, an export, login), and both /ready routes answer 503 naming the
 * database within the readiness check's bound: never 500, never the server's request time-out.
 * Once the database is back, writes and readiness come back by themselves, within 15 s.
 */
class DatabaseOutageTest {

  /** The node's defaults, which this test does not change: lims.http.ask-timeout and the readiness check time-out. */
  static final long ASK_MS = 5_000;
  static final long CHECK_MS = 3_000;
  /** For the answer to travel, on a two-core machine shared with builds. */
  static final long MARGIN_MS = 1_500;
  static final Duration BACK_WITHIN = Duration.ofSeconds(15);

  record Timed(String what, Client.Reply reply, long ms) {
    @Override
    public String toString() {
      return what + " -> " + reply.status() + " in " + ms + " ms";
    }
  }

  static Timed timed(String what, Supplier<Client.Reply> call) {
    long start = System.nanoTime();
    Client.Reply reply = call.get();
    return new Timed(what, reply, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  @Test
  void everyPathAnswers503InTimeWhileTheDatabaseIsDownAndWorksAgainOnceItIsBack() throws Exception {
    String adminPassword = "outage-admin-" + UUID.randomUUID();
    int managementPort = LaunchedNode.freePort();
    try (PrivatePostgres pg = PrivatePostgres.start(ProductJourneyTest.postgresPrograms(), false)) {
      Map<String, String> env = ProductJourneyTest.clusterEnv("", adminPassword);
      List<String> args = List.of("cluster", "--port", String.valueOf(LaunchedNode.freePort()), "--db-url", pg.url() + "?reWriteBatchedInserts=true",
          "--db-user", "lims", "--remote-port", String.valueOf(LaunchedNode.freePort()), "--management-port", String.valueOf(managementPort));
      try (LaunchedNode node = LaunchedNode.start(ProductJourneyTest.workDir().resolve("outage-console.txt"), env, List.of(), args)) {
        Client anonymous = new Client(node.awaitConsole(ProductJourneyTest.UP, LaunchedNode.START_BOUND));
        Client management = new Client("http://127.0.0.1:" + managementPort);
        Client admin = anonymous.as("admin", adminPassword);
        admin.post("/api/v1/devices", Map.of("id", "outage-reader", "name", "Outage plate reader", "type", "plate_reader")).expect(201);
        register(admin).expect(201);
        Await.untilPasses(ProductJourneyTest.SETTLE, () -> {
          assertEquals(200, anonymous.get("/ready").status(), anonymous.get("/ready").body());
          assertEquals(200, management.get("/ready").status(), management.get("/ready").body());
        });

        pg.stop();
        List<Timed> outage = new ArrayList<>();
        for (int round = 1; round <= 3; round++) {
          outage.add(timed("POST /api/v1/specimens", () -> register(admin)));
          outage.add(timed("POST /api/v1/devices/outage-reader/book",
              () -> admin.post("/api/v1/devices/outage-reader/book", Map.of("workflow_id", "wf-outage-" + UUID.randomUUID()))));
          outage.add(timed("GET /api/v1/specimens", () -> admin.get("/api/v1/specimens")));
          outage.add(timed("GET /api/v1/devices", () -> admin.get("/api/v1/devices")));
          outage.add(timed("GET /api/v1/execution-logs/export", () -> admin.get("/api/v1/execution-logs/export?start=2020-01-01T00:00:00Z")));
          outage.add(timed("POST /api/v1/auth/token",
              () -> anonymous.post("/api/v1/auth/token", Map.of("username", "admin", "password", adminPassword))));
          outage.add(timed("GET /ready", () -> anonymous.get("/ready")));
          outage.add(timed("GET :management/ready", () -> management.get("/ready")));
        }
        System.out.println("while PostgreSQL was down:\n  " + String.join("\n  ", outage.stream().map(Timed::toString).toList()));
        for (Timed t : outage) {
          boolean probe = t.what().endsWith("/ready");
          if (t.what().contains("auth/token") && t.reply().status() == 200) {
            // The admin's account is in memory and a login writes nothing: it may be answered.
          } else {
            unavailable(t);
          }
          if (probe) {
            String detail = t.reply().json().get("detail").asText();
            assertTrue(detail.startsWith("not ready: ") && detail.contains("database: "), t + ": " + detail);
          }
          long bound = probe ? CHECK_MS : ASK_MS;
          assertTrue(t.ms() < bound + MARGIN_MS, t + ", over " + bound + " ms + " + MARGIN_MS + " ms");
        }

        long resumed = System.nanoTime();
        pg.start();
        long acceptingMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumed);
        List<Timed> recovery = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Long> writesBack = CompletableFuture.supplyAsync(() -> firstSuccess(resumed, recovery,
            () -> timed("POST /api/v1/specimens", () -> register(admin)), 201));
        CompletableFuture<Long> readyBack = CompletableFuture.supplyAsync(() -> firstSuccess(resumed, recovery,
            () -> timed("GET /ready", () -> anonymous.get("/ready")), 200));
        long writesMs = writesBack.get(1, TimeUnit.MINUTES);
        long readyMs = readyBack.get(1, TimeUnit.MINUTES);
        System.out.printf("PostgreSQL started again and accepted connections after %d ms; from its start, writes answered 201 again"
            + " after %d ms, /ready 200 after %d ms%n", acceptingMs, writesMs, readyMs);
        for (Timed t : recovery) {
          assertTrue(Set.of(200, 201, 503).contains(t.reply().status()), "while coming back: " + t + " " + t.reply().body());
        }
        assertTrue(writesMs < BACK_WITHIN.toMillis(), "writes came back after " + writesMs + " ms");
        assertTrue(readyMs < BACK_WITHIN.toMillis(), "/ready came back after " + readyMs + " ms");
        assertEquals(200, management.get("/ready").status(), "the management port agrees");
        admin.post("/api/v1/devices/outage-reader/book", Map.of("workflow_id", "wf-outage-after")).expect(200);
        assertTrue(List.of(0, 143).contains(node.stop()), "SIGTERM stops the node cleanly");
      }
    }
  }

  static Client.Reply register(Client client) {
    return client.post("/api/v1/specimens", Map.of("client_ref", "clinic-outage", "type", "serum", "tests_requested", List.of("crp"),
        "priority", "urgent"));
  }

  /** 503 problem+json telling the client to retry. */
  static void unavailable(Timed t) {
    assertEquals(503, t.reply().status(), t + ": " + t.reply().body());
    assertTrue(t.reply().contentType().startsWith("application/problem+json"), t + ": " + t.reply().contentType());
    JsonNode problem = t.reply().json();
    assertEquals(503, problem.get("status").asInt(), t.reply().body());
  }

  /** Milliseconds from {@code since} until {@code call} first answers {@code status}; every answer is kept. */
  static long firstSuccess(long since, List<Timed> answers, Supplier<Timed> call, int status) {
    long[] at = new long[1];
    Await.until(Duration.ofMinutes(1), () -> "an answer " + status + "; the last ones: " + answers, () -> {
      Timed t = call.get();
      answers.add(t);
      at[0] = System.nanoTime();
      return t.reply().status() == status;
    });
    return TimeUnit.NANOSECONDS.toMillis(at[0] - since);
  }
}
