package lims.scheduling;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import lims.kernel.Failures;

/**
 * The "http" action: calls an endpoint with {@code Idempotency-Key: <execution id>} and a
 * JSON body naming the execution; succeeds on the expected status. Parameters: {@code url}
 * (http or https), {@code method} (POST, PUT or GET; POST), {@code expected_status} (200),
 * {@code timeout_ms} (10,000, or the node's action time-out if shorter; at most that time-out:
 * an attempt ends there whatever the call does, so a longer wait could never succeed).
 * {@code Lims-Node} names the node that called (its cluster address), so the lab's system and
 * an audit can tell which node a call came from.
 */
final class HttpAction implements LabTestAction.Runner {

  private static final Set<String> METHODS = Set.of("POST", "PUT", "GET");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  /** The longest a call may wait: the attempt's time-out (lims.scheduling.action-timeout). */
  private final long maxTimeoutMillis;

  /** The calling node's cluster address, sent as {@code Lims-Node}. */
  private final String node;

  HttpAction(Duration actionTimeout, String node) {
    this.maxTimeoutMillis = actionTimeout.toMillis();
    this.node = node;
  }

  /** Why the parameters cannot work, if they cannot. */
  Optional<String> check(Map<String, Object> p) {
    if (!(p.get("url") instanceof String url)) return Optional.of("an http action needs a url");
    try {
      URI uri = URI.create(url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        return Optional.of("url must be an absolute http or https URL");
      }
    } catch (IllegalArgumentException e) {
      return Optional.of("url is not a URL: " + e.getMessage());
    }
    if (p.containsKey("method") && !METHODS.contains(String.valueOf(p.get("method")))) return Optional.of("method must be one of " + METHODS);
    if (p.containsKey("expected_status") && !(p.get("expected_status") instanceof Integer status && status >= 100 && status <= 599)) {
      return Optional.of("expected_status must be an HTTP status, 100-599");
    }
    if (p.containsKey("timeout_ms") && !(p.get("timeout_ms") instanceof Integer t && t >= 1 && t <= maxTimeoutMillis)) {
      return Optional.of("timeout_ms must be 1-" + maxTimeoutMillis + ": an attempt ends at the action time-out (LIMS_LAB_TEST_ACTION_TIMEOUT)");
    }
    Set<String> known = Set.of("kind", "url", "method", "expected_status", "timeout_ms");
    return p.keySet().stream().filter(k -> !known.contains(k)).findFirst().map(k -> "an http action takes no '" + k + "'");
  }

  @Override
  public CompletionStage<LabTestAction.Outcome> run(LabTestAction action, LabTestAction.Execution execution) {
    Map<String, Object> p = action.parameters();
    String method = String.valueOf(p.getOrDefault("method", "POST"));
    int expected = (Integer) p.getOrDefault("expected_status", 200);
    // No longer than the attempt has left (a test stored under a longer time-out): the call's own
    // time-out then says what happened, not the attempt's.
    long asked = ((Integer) p.getOrDefault("timeout_ms", 10_000)).longValue();
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("lab_test_id", execution.labTestId(), "execution_id", execution.executionId(),
          "due_at", execution.dueAt().toString(), "attempt", execution.attempt()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    String url = (String) p.get("url");
    Function<Duration, HttpRequest> request = timeout -> {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
          .header("Idempotency-Key", execution.executionId()).header("Lims-Node", node).header("Content-Type", "application/json");
      return (method.equals("GET") ? b.GET() : b.method(method, HttpRequest.BodyPublishers.ofString(body))).build();
    };
    Instant until = Instant.now().plus(Duration.ofMillis(Math.max(1, Math.min(asked, Duration.between(Instant.now(), execution.deadline()).toMillis()))));
    return send(request, until, !method.equals("GET")).handle((response, error) -> {
      if (error != null) {
        return LabTestAction.Outcome.failed(method + " " + url + " failed: " + Failures.cause(error));
      }
      String line = method + " " + url + " answered " + response.statusCode();
      return response.statusCode() == expected ? LabTestAction.Outcome.succeeded(line)
          : LabTestAction.Outcome.failed(line + ", expected " + expected);
    });
  }

  /**
   * Sends the call, once more at once if its connection failed (an IOException that is not a
   * time-out) and the attempt has time left: a kept-alive connection the server had closed
   * (servers and load balancers close idle ones) fails a request that never reached it, and
   * Java's client sends only a GET again by itself (so a GET is not sent again here). The call
   * carries the execution id as its Idempotency-Key, so a second send is safe by the action's
   * contract even when the first did reach the lab's system (decision 0065). A time-out is not
   * sent again: the attempt's time is spent.
   */
  private CompletableFuture<HttpResponse<Void>> send(Function<Duration, HttpRequest> request, Instant until, boolean again) {
    Duration left = Duration.between(Instant.now(), until);
    return client.sendAsync(request.apply(left.toMillis() < 1 ? Duration.ofMillis(1) : left), HttpResponse.BodyHandlers.discarding())
        .exceptionallyCompose(error -> {
          Throwable cause = Failures.cause(error);
          boolean connectionFailed = cause instanceof IOException && !(cause instanceof HttpTimeoutException);
          boolean timeLeft = Instant.now().isBefore(until);
          return again && connectionFailed && timeLeft ? send(request, until, false) : CompletableFuture.failedFuture(error);
        });
  }
}
