package lims.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import lims.bench.cluster.Await;
import lims.bench.cluster.LocalCluster;

/**
 * The clients' side: JSON over HTTP with an admin's token, through a balancer as operations.md
 * recommends one: round robin over the nodes whose /ready answered 200 last (over all of
 * them when none did), and a refused connection tried on the next node (nothing was sent).
 * Anything else is the client's answer: a 5xx or a time-out is not retried here, except for
 * creates, which the load repeats with the same Idempotency-Key. Every attempt goes into the
 * ledger. A watcher asks every node's /ready twice a second, counting the answers.
 */
final class Api implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();

  record Reply(int status, JsonNode json) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    boolean failed() {
      return status == Ledger.NO_ANSWER || status >= 500;
    }
  }

  private final LocalCluster cluster;
  private final Ledger ledger;
  private final Duration timeout;
  private final String password;
  private final ExecutorService httpThreads = Executors.newCachedThreadPool(daemon("chaos-http"));
  private final HttpClient http;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicIntegerArray lastReadiness = new AtomicIntegerArray(LocalCluster.SIZE);
  /** /ready answers of every node, by status (0: none within 2 s). */
  final Map<Integer, LongAdder> readinessAnswers = new ConcurrentHashMap<>();
  private final AtomicBoolean watching = new AtomicBoolean(true);
  private volatile String token;

  Api(LocalCluster cluster, Ledger ledger, Duration timeout, String adminPassword) {
    this.cluster = cluster;
    this.ledger = ledger;
    this.timeout = timeout;
    this.password = adminPassword;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).executor(httpThreads).build();
    for (int n = 1; n <= LocalCluster.SIZE; n++) {
      int number = n;
      Thread watcher = new Thread(() -> watchReadiness(number), "chaos-ready-" + n);
      watcher.setDaemon(true);
      watcher.start();
    }
  }

  private void watchReadiness(int number) {
    while (watching.get()) {
      int status = cluster.readiness(number);
      lastReadiness.set(number - 1, status);
      readinessAnswers.computeIfAbsent(status, s -> new LongAdder()).increment();
      Await.pause(Duration.ofMillis(500));
    }
  }

  boolean inRotation(int number) {
    return lastReadiness.get(number - 1) == 200;
  }

  /** Logs in as admin on any node; tokens are valid on every node (one signing key). */
  void logIn() {
    Await.until(Duration.ofMinutes(2), () -> "a token for admin", () -> {
      for (int n = 1; n <= LocalCluster.SIZE; n++) {
        Reply reply = exchange(n, "POST", "/api/v1/auth/token", Map.of("username", "admin", "password", password), null);
        if (reply.ok()) {
          token = reply.json().get("access_token").asText();
          return true;
        }
      }
      return false;
    });
  }

  /**
   * Through the balancer. {@code entity} is the entity a write addresses ("Device|id"), or
   * just its type ("Specimen|") when the answer's "id" names it.
   */
  Reply send(String method, String path, String route, Object body, String idempotencyKey, String entity) {
    long sentAt = System.currentTimeMillis();
    int first = nextNode();
    for (int i = 0; i < LocalCluster.SIZE; i++) {
      int node = (first - 1 + i) % LocalCluster.SIZE + 1;
      Reply reply = sendTo(node, method, path, route, body, idempotencyKey, entity);
      if (reply != REFUSED) return reply;
    }
    // Every node refused: the client got no answer at all.
    ledger.attempts.add(new Ledger.Attempt(sentAt, System.currentTimeMillis(), 0, route, !method.equals("GET"), Ledger.NO_ANSWER, null));
    return new Reply(Ledger.NO_ANSWER, null);
  }

  /** A create, tried up to {@code attempts} times while it fails, with one Idempotency-Key. */
  Reply create(String path, String route, Object body, String idempotencyKey, String entityType, int attempts) {
    Reply reply = null;
    for (int i = 0; i < attempts; i++) {
      reply = send("POST", path, route, body, idempotencyKey, entityType + "|");
      if (!reply.failed()) return reply;
    }
    return reply;
  }

  /** To one node, without the balancer; records the attempt. */
  Reply sendTo(int node, String method, String path, String route, Object body, String idempotencyKey, String entity) {
    long sentAt = System.currentTimeMillis();
    Reply reply = exchange(node, method, path, body, idempotencyKey);
    if (reply.status() == 401 && token != null) {
      logIn(); // a token that expired during a long run
      reply = exchange(node, method, path, body, idempotencyKey);
    }
    if (reply == REFUSED) return reply; // the balancer's business, unseen by the client
    String addressed = entity;
    if (entity != null && entity.endsWith("|")) addressed = reply.ok() && reply.json() != null && reply.json().has("id") ? entity + reply.json().get("id").asText() : null;
    ledger.attempts.add(new Ledger.Attempt(sentAt, System.currentTimeMillis(), node, route, !method.equals("GET"), reply.status(), addressed));
    return reply;
  }

  /** A connection the node refused: nothing reached it, so the balancer tries the next one. */
  private static final Reply REFUSED = new Reply(Ledger.NO_ANSWER, null);

  private Reply exchange(int node, String method, String path, Object body, String idempotencyKey) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(cluster.node(node).baseUrl() + path)).timeout(timeout)
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      if (body != null) request.header("Content-Type", "application/json");
      if (token != null) request.header("Authorization", "Bearer " + token);
      if (idempotencyKey != null) request.header("Idempotency-Key", idempotencyKey);
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      JsonNode json = null;
      if (response.headers().firstValue("Content-Type").orElse("").contains("json") && response.body().length > 0) {
        json = JSON.readTree(response.body());
      }
      return new Reply(response.statusCode(), json);
    } catch (ConnectException e) {
      return REFUSED;
    } catch (IOException e) {
      return new Reply(Ledger.NO_ANSWER, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Reply(Ledger.NO_ANSWER, null);
    }
  }

  private int nextNode() {
    int start = Math.floorMod(next.getAndIncrement(), LocalCluster.SIZE);
    for (int i = 0; i < LocalCluster.SIZE; i++) {
      int node = (start + i) % LocalCluster.SIZE + 1;
      if (inRotation(node)) return node;
    }
    return start + 1; // none is ready: try them all in turn rather than stop writing
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    watching.set(false);
    httpThreads.shutdownNow();
  }
}
