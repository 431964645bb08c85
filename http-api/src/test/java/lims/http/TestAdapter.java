package lims.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * An instrument adapter as a lab would write one (docs/telemetry.md), over java.net.http's
 * WebSocket: it keeps every batch until it is acknowledged and sends the unacknowledged ones
 * again after a reconnect.
 */
final class TestAdapter {

  private static final Duration BOUND = Duration.ofSeconds(30);

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String deviceId;
  private final String token;
  private final Map<Long, String> unacked = new TreeMap<>();
  private final Set<Long> acked = new TreeSet<>();
  private final List<JsonNode> errors = new ArrayList<>();
  private String baseUrl;
  private WebSocket socket;
  private int acksReceived;

  TestAdapter(String baseUrl, String deviceId, String token) {
    this.baseUrl = baseUrl;
    this.deviceId = deviceId;
    this.token = token;
  }

  /** The HTTP status that refused the handshake, or 101 when the socket opened (it is then closed). */
  static int handshakeStatus(String baseUrl, String deviceId, String token) {
    TestAdapter probe = new TestAdapter(baseUrl, deviceId, token);
    try {
      probe.connect();
      probe.socket.abort();
      return 101;
    } catch (CompletionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException refused) return refused.getResponse().statusCode();
      throw e;
    }
  }

  /** Opens the socket (to {@code baseUrl}, which a restarted node changes) and sends every batch not yet acknowledged. */
  void connect(String baseUrl) {
    this.baseUrl = baseUrl;
    connect();
    List<Map.Entry<Long, String>> resend;
    synchronized (this) {
      resend = new ArrayList<>(unacked.entrySet());
    }
    for (Map.Entry<Long, String> batch : resend) sendNow(batch.getValue());
  }

  private void connect() {
    WebSocket.Builder builder = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    if (token != null) builder.header("Authorization", "Bearer " + token);
    socket = builder.buildAsync(URI.create(baseUrl.replaceFirst("^http", "ws") + "/api/v1/devices/" + deviceId + "/telemetry/stream"), new Listener())
        .orTimeout(BOUND.toSeconds(), TimeUnit.SECONDS).join();
  }

  /** Keeps the batch until it is acknowledged, and sends it. */
  void send(long seq, String batch) {
    synchronized (this) {
      unacked.put(seq, batch);
    }
    sendNow(batch);
  }

  /** Sends a message that is no batch to keep (a malformed one). */
  void sendRaw(String message) {
    sendNow(message);
  }

  private void sendNow(String message) {
    socket.sendText(message, true).orTimeout(BOUND.toSeconds(), TimeUnit.SECONDS).join();
  }

  /** The connection dropped without a goodbye, as a pulled cable or a crashed node drops it. */
  void drop() {
    socket.abort();
  }

  void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(BOUND.toSeconds(), TimeUnit.SECONDS).join();
  }

  synchronized int unackedCount() {
    return unacked.size();
  }

  synchronized Set<Long> acked() {
    return new TreeSet<>(acked);
  }

  synchronized List<JsonNode> errors() {
    return new ArrayList<>(errors);
  }

  /** Waits (bounded) until at most {@code most} batches are unacknowledged. */
  synchronized void awaitUnackedAtMost(int most) throws InterruptedException {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (unacked.size() > most) {
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new AssertionError(unacked.size() + " batches still unacknowledged after " + BOUND + ": " + unacked.keySet());
      wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
    }
  }

  /** Waits (bounded) until {@code count} more answers (acks or errors) than {@code before} arrived. */
  synchronized void awaitAnswers(int count) throws InterruptedException {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (acksReceived + errors.size() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new AssertionError("only " + (acksReceived + errors.size()) + " of " + count + " answers; errors " + errors);
      wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
    }
  }

  private synchronized void answered(JsonNode answer) {
    if (answer.has("ack")) {
      long seq = answer.get("ack").asLong();
      unacked.remove(seq);
      acked.add(seq);
      acksReceived++;
    } else {
      errors.add(answer);
    }
    notifyAll();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        try {
          answered(ApiClient.JSON.readTree(text.toString()));
        } catch (Exception e) {
          throw new AssertionError("the node answered no JSON: " + text, e);
        }
        text.setLength(0);
      }
      webSocket.request(1);
      return CompletableFuture.completedFuture(null);
    }
  }
}
