package lims.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A reader of GET /api/v1/events as a browser's fetch() reads it: one connection, its lines
 * parsed into events (RFC text/event-stream: id, event, data, comment lines, a blank line ends
 * an event) by a thread of its own, handed to the test through a queue.
 */
final class EventStreamClient implements AutoCloseable {

  /** One event; a comment line (a heartbeat) is an event with only {@code comment}. */
  record Event(String id, String name, JsonNode data, String comment) {
    long ordering() {
      return Long.parseLong(id);
    }

    String type() {
      return data == null ? null : data.path("type").asText();
    }

    String entityId() {
      return data == null ? null : data.path("id").asText();
    }

    boolean isChange() {
      return "change".equals(name);
    }

    @Override
    public String toString() {
      return comment != null ? ":" + comment : "[" + id + " " + name + " " + data + "]";
    }
  }

  private static final Event END = new Event(null, "(end of stream)", null, null);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  final int status;
  final HttpHeaders headers;
  /** The body of a refusal (problem+json); empty for a stream. */
  final String refusal;
  private final InputStream body;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Thread reader;

  private EventStreamClient(HttpResponse<InputStream> response) throws IOException {
    this.status = response.statusCode();
    this.headers = response.headers();
    this.body = response.body();
    if (status != 200) {
      refusal = new String(body.readAllBytes(), StandardCharsets.UTF_8);
      reader = null;
      return;
    }
    refusal = "";
    reader = new Thread(this::read, "event-stream-client");
    reader.setDaemon(true);
    reader.start();
  }

  /** Connects with {@code token}; {@code query} ("" or "?last_event_id=7") and extra headers (Last-Event-ID) as given. */
  static EventStreamClient connect(String baseUrl, String token, String query, Map<String, String> extraHeaders) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + EventRoutes.PATH + query)).GET()
        .header("Accept", "text/event-stream");
    if (token != null) request.header("Authorization", "Bearer " + token);
    extraHeaders.forEach(request::header);
    try {
      return new EventStreamClient(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
    } catch (IOException e) {
      throw new IllegalStateException("GET " + EventRoutes.PATH + query + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static EventStreamClient connect(String baseUrl, String token) {
    return connect(baseUrl, token, "", Map.of());
  }

  private void read() {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String id = null;
      String name = null;
      StringBuilder data = null;
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.isEmpty()) {
          if (name != null || data != null) {
            events.add(new Event(id, name == null ? "message" : name, data == null ? null : ApiClient.JSON.readTree(data.toString()), null));
          }
          id = null;
          name = null;
          data = null;
        } else if (line.startsWith(":")) {
          events.add(new Event(null, null, null, line.substring(1).strip()));
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = (data == null ? new StringBuilder() : data.append('\n')).append(line.substring(6));
        }
      }
    } catch (IOException e) {
      // closed by the test, or cut by the server: the end either way
    } finally {
      events.add(END);
    }
  }

  /** The next event or comment, within {@code bound}. */
  Event next(Duration bound) {
    try {
      Event event = events.poll(bound.toMillis(), TimeUnit.MILLISECONDS);
      if (event == null) throw new AssertionError("no event within " + bound);
      return event;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next event that is not a heartbeat. */
  Event nextEvent(Duration bound) {
    long until = System.nanoTime() + bound.toNanos();
    while (true) {
      Event event = next(Duration.ofNanos(Math.max(1, until - System.nanoTime())));
      if (event.comment() == null) return event;
    }
  }

  /** Every event (heartbeats left out) up to and including the first that {@code last} accepts, within {@code bound}. */
  List<Event> eventsUntil(Predicate<Event> last, Duration bound) {
    long until = System.nanoTime() + bound.toNanos();
    List<Event> seen = new ArrayList<>();
    while (true) {
      Event event;
      try {
        event = nextEvent(Duration.ofNanos(Math.max(1, until - System.nanoTime())));
      } catch (AssertionError e) {
        throw new AssertionError("none of " + seen + " was the one awaited", e);
      }
      seen.add(event);
      if (last.test(event)) return seen;
      if (event == END) throw new AssertionError("the stream ended after " + seen);
    }
  }

  static boolean isEnd(Event event) {
    return event == END;
  }

  @Override
  public void close() {
    if (reader != null) reader.interrupt();
    try {
      body.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
