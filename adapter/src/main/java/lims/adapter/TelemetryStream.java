package lims.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An adapter's side of the telemetry stream (docs/telemetry.md): batches go out over one
 * WebSocket to the node, and each stays here until the node acknowledges it as stored. A
 * batch is never claimed stored before its {@code {"ack": seq}}, and never dropped before it
 * either: when the connection drops, every unacknowledged batch is sent again, in order, on
 * the next one (the node acknowledges a repeated seq without storing it twice). Reconnects
 * back off exponentially, with jitter, up to a bound.
 *
 * <p>Bounded on both sides: at most {@code window} batches are on the wire unacknowledged
 * (a node slow to store slows this adapter instead of queueing in the socket), and at most
 * {@code buffer} batches are held here; {@link #offer} waits for room, so an adapter that
 * has been disconnected for long stops sampling rather than growing without end.
 *
 * <p>All state is touched only by one thread (the {@code loop}), so no lock is needed and the
 * WebSocket is never sent to twice at once (java.net.http requires one send at a time).
 */
public final class TelemetryStream implements AutoCloseable {

  /** One batch as it goes on the wire: its seq, its JSON text, and how many readings it holds. */
  public record Batch(long seq, String json, int readings) {}

  /** Where to connect and how hard to try. */
  public record Settings(URI socket, int window, int buffer, Duration minBackoff, Duration maxBackoff, Duration connectTimeout) {
    public Settings {
      if (window < 1 || buffer < window) throw new IllegalArgumentException("need 1 <= window <= buffer");
    }
  }

  /** What the stream reports, on its own thread: keep it short. */
  public interface Events {
    default void connected() {}

    default void disconnected(String why, Duration retryIn) {}

    /** A reading (index >= 0) or a whole batch (index -1) the node refused; a refused batch is not sent again. */
    default void refused(long seq, int index, String field, String error) {}

    /** The node will not take this adapter's stream (403, 404): retrying would not help. */
    default void rejected(int status) {}
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Settings settings;
  private final Credentials credentials;
  private final Events events;
  private final HttpClient http;
  private final ScheduledExecutorService loop;
  private final Semaphore room;
  private final AtomicLong ackedBatches = new AtomicLong();
  private final AtomicLong ackedReadings = new AtomicLong();
  private final AtomicLong resent = new AtomicLong();

  // --- the loop's own ---------------------------------------------------------------
  private final TreeMap<Long, Batch> unacknowledged = new TreeMap<>();
  private WebSocket socket;
  private int connection;
  /** The highest seq sent on the current connection: what follows it is sent next. */
  private long sentThrough;
  private int inFlight;
  private boolean sending;
  private Duration backoff;
  private boolean closed;
  private volatile boolean up;

  public TelemetryStream(Settings settings, Credentials credentials, Events events) {
    this.settings = settings;
    this.credentials = credentials;
    this.events = events;
    this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout()).build();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "telemetry-stream");
      thread.setDaemon(true);
      return thread;
    });
    // A reconnect waiting for its back-off must not hold up close().
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.loop = executor;
    this.room = new Semaphore(settings.buffer());
    this.backoff = settings.minBackoff();
    loop.execute(this::connect);
  }

  /**
   * Hands a batch to the stream, waiting up to {@code wait} for room in the buffer. False when
   * there was none: the caller decides what its instrument does meanwhile (this simulator
   * skips the sample). Seqs must increase from one batch to the next.
   */
  public boolean offer(Batch batch, Duration wait) throws InterruptedException {
    if (!room.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) return false;
    loop.execute(() -> {
      unacknowledged.put(batch.seq(), batch);
      pump();
    });
    return true;
  }

  public long ackedBatches() {
    return ackedBatches.get();
  }

  public long ackedReadings() {
    return ackedReadings.get();
  }

  /** Batches sent again on a new connection because the old one dropped before their ack. */
  public long resent() {
    return resent.get();
  }

  /** Batches held until acknowledged. */
  public int buffered() {
    return settings.buffer() - room.availablePermits();
  }

  public boolean connectedNow() {
    return up;
  }

  // --- sending ----------------------------------------------------------------------

  private void pump() {
    if (socket == null || sending || inFlight >= settings.window()) return;
    Map.Entry<Long, Batch> next = unacknowledged.higherEntry(sentThrough);
    if (next == null) return;
    Batch batch = next.getValue();
    sending = true;
    sentThrough = batch.seq();
    inFlight++;
    int sentOn = connection;
    socket.sendText(batch.json(), true).whenCompleteAsync((ws, failure) -> {
      if (sentOn != connection || socket == null) return; // that connection is gone; its batches go again on the next
      sending = false;
      if (failure != null) {
        lost(sentOn, "sending failed: " + failure);
      } else {
        pump();
      }
    }, loop);
  }

  private void received(int on, String text) {
    if (on != connection) return;
    JsonNode message;
    try {
      message = JSON.readTree(text);
    } catch (java.io.IOException e) {
      return; // not ours to judge: the node speaks JSON; an unreadable message acknowledges nothing
    }
    if (message.has("ack")) {
      settle(message.get("ack").asLong(), true);
    } else if (message.has("error")) {
      long seq = message.path("seq").asLong(-1);
      int index = message.path("index").asInt(-1);
      events.refused(seq, index, message.path("field").asText(null), message.path("error").asText());
      // Not stored for a passing reason (the node's database did not answer): every batch not yet
      // acknowledged goes again, after a back-off, on a new connection.
      if (message.path("retry").asBoolean(false)) {
        lost(on, "the node could not store a batch now: " + message.path("error").asText());
        return;
      }
      // A whole batch refused for good is never acknowledged: sending it again would be refused again.
      if (index < 0 && seq >= 0) settle(seq, false);
    }
  }

  /** The node is done with {@code seq}: stored (acknowledged) or refused as a whole. */
  private void settle(long seq, boolean stored) {
    Batch batch = unacknowledged.remove(seq);
    if (batch == null) return; // acknowledged again after a resend: settled already
    if (seq <= sentThrough) inFlight--;
    if (stored) {
      ackedBatches.incrementAndGet();
      ackedReadings.addAndGet(batch.readings());
    }
    room.release(); // after the counts: a caller woken by the room sees them
    pump();
  }

  // --- the connection ---------------------------------------------------------------

  private void connect() {
    if (closed) return;
    int attempt = ++connection;
    String token;
    try {
      token = credentials.token();
    } catch (RuntimeException e) {
      retryLater("cannot log in: " + e.getMessage());
      return;
    }
    http.newWebSocketBuilder()
        .header("Authorization", "Bearer " + token)
        .connectTimeout(settings.connectTimeout())
        .buildAsync(settings.socket(), new Listener(attempt))
        .whenCompleteAsync((ws, failure) -> {
          if (attempt != connection || closed) {
            if (ws != null) ws.abort();
            return;
          }
          if (failure != null) {
            refusedUpgrade(failure);
            return;
          }
          socket = ws;
          up = true;
          // Everything not acknowledged goes again, oldest first: the node may not have stored it.
          sentThrough = 0;
          inFlight = 0;
          sending = false;
          backoff = settings.minBackoff();
          resent.addAndGet(unacknowledged.size());
          events.connected();
          pump();
        }, loop);
  }

  private void refusedUpgrade(Throwable failure) {
    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof WebSocketHandshakeException handshake) {
      int status = handshake.getResponse().statusCode();
      if (status == 401) {
        credentials.expired(); // a fresh token on the next attempt, when the adapter can log in
      } else if (status == 403 || status == 404) {
        events.rejected(status);
      }
      retryLater("the node answered the upgrade with " + status);
    } else {
      retryLater(cause.toString());
    }
  }

  private void lost(int on, String why) {
    if (on != connection || socket == null) return;
    socket.abort();
    socket = null;
    up = false;
    sending = false;
    retryLater(why);
  }

  private void retryLater(String why) {
    if (closed) return;
    // Full jitter over the current back-off, so adapters cut off together do not return together.
    Duration wait = Duration.ofNanos(ThreadLocalRandom.current().nextLong(backoff.toNanos() / 2, backoff.toNanos() + 1));
    events.disconnected(why, wait);
    Duration doubled = backoff.multipliedBy(2);
    backoff = doubled.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : doubled;
    loop.schedule(this::connect, wait.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Waits up to {@code bound} for every batch handed over to be acknowledged (or refused). */
  public boolean drained(Duration bound) throws InterruptedException {
    if (!room.tryAcquire(settings.buffer(), bound.toNanos(), TimeUnit.NANOSECONDS)) return false;
    room.release(settings.buffer());
    return true;
  }

  @Override
  public void close() {
    loop.execute(() -> {
      closed = true;
      up = false;
      if (socket != null) socket.sendClose(WebSocket.NORMAL_CLOSURE, "adapter stopping").whenComplete((ws, failure) -> socket.abort());
    });
    loop.shutdown();
    try {
      loop.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The node's messages on one connection, handed to the loop whole. */
  private final class Listener implements WebSocket.Listener {
    private final int connection;
    private final StringBuilder partial = new StringBuilder();

    /** Hands work to the loop, unless the stream is closed already: then there is nothing left to tell. */
    private void onLoop(Runnable work) {
      try {
        loop.execute(work);
      } catch (java.util.concurrent.RejectedExecutionException closedMeanwhile) {
        // closed: the connection's last words change nothing
      }
    }

    Listener(int connection) {
      this.connection = connection;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        onLoop(() -> received(connection, text));
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      onLoop(() -> lost(connection, "the node closed the stream (" + status + (reason.isEmpty() ? "" : ", " + reason) + ")"));
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      onLoop(() -> lost(connection, error.toString()));
    }
  }
}
