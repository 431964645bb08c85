package lims.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * The endpoint the lab tests' HTTP actions call: it answers 200 at once and records each call
 * with its arrival, as a lab's own system would receive them. Two calls with one execution id
 * (the Idempotency-Key) are one execution run twice; {@code Lims-Node} says which node called.
 */
final class Receiver implements AutoCloseable {

  /** One call: {@code at} its arrival (epoch ms), {@code dueAt} the execution's instant, {@code node} the caller's cluster address. */
  record Call(long at, String executionId, String labTestId, long dueAt, int attempt, String node) {}

  private final HttpServer server;
  private final Queue<Call> calls = new ConcurrentLinkedQueue<>();

  Receiver() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(Executors.newFixedThreadPool(4, Api.daemon("chaos-receiver")));
    server.createContext("/fire", exchange -> {
      long at = System.currentTimeMillis();
      try (exchange) {
        JsonNode body = Api.JSON.readTree(exchange.getRequestBody().readAllBytes());
        calls.add(new Call(at, exchange.getRequestHeaders().getFirst("Idempotency-Key"), body.path("lab_test_id").asText(),
            Instant.parse(body.path("due_at").asText()).toEpochMilli(), body.path("attempt").asInt(),
            String.valueOf(exchange.getRequestHeaders().getFirst("Lims-Node"))));
        exchange.sendResponseHeaders(200, -1);
      }
    });
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/fire";
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The calls of each execution id, in arrival order. */
  Map<String, List<Call>> byExecution() {
    return calls().stream().sorted((a, b) -> Long.compare(a.at(), b.at())).collect(Collectors.groupingBy(Call::executionId));
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
