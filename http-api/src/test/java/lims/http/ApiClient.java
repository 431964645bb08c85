package lims.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
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
import java.util.TreeMap;

/** A plain HTTP client for tests: what any API user would send, nothing Pekko-specific. */
final class ApiClient {

  static final ObjectMapper JSON = new ObjectMapper();

  record Reply(int status, HttpHeaders headers, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    String contentType() {
      return header("Content-Type");
    }
  }

  private final String baseUrl;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  ApiClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  Reply get(String path, String token) {
    return send("GET", path, token, null, Map.of());
  }

  /** A GET of a file: its bytes as sent (200 expected). */
  byte[] download(String path, String token) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token).GET().build();
    try {
      HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) throw new AssertionError("GET " + path + " answered " + response.statusCode() + ": " + new String(response.body()));
      return response.body();
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Reply post(String path, String token, String jsonBody) {
    return send("POST", path, token, jsonBody, Map.of("Content-Type", "application/json"));
  }

  /** A JSON POST whose body goes in chunks, its length not declared up front. */
  Reply postChunked(String path, String token, String jsonBody) {
    byte[] bytes = jsonBody.getBytes(StandardCharsets.UTF_8);
    return sendBody("POST", path, token, HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes)),
        Map.of("Content-Type", "application/json"));
  }

  /** {@code body} as it is (any bytes, or none when null), with its content type when one is given. */
  Reply sendBytes(String method, String path, String token, byte[] body, String contentType) {
    return sendBody(method, path, token, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body),
        contentType == null ? Map.of() : Map.of("Content-Type", contentType));
  }

  Reply send(String method, String path, String token, String body, Map<String, String> headers) {
    return sendBody(method, path, token, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body), headers);
  }

  private Reply sendBody(String method, String path, String token, HttpRequest.BodyPublisher body, Map<String, String> headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30)).method(method, body);
    if (token != null) request.header("Authorization", "Bearer " + token);
    headers.forEach(request::header);
    try {
      HttpResponse<InputStream> response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        // An event stream never ends: its answer is the status and headers (EventStreamTest reads streams).
        String text = isEventStream(response.headers()) ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return new Reply(response.statusCode(), response.headers(), text);
      }
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A JSON POST as clients uploading large bodies send it (curl does above 1 MiB): headers with
   * {@code Expect: 100-continue} first, the body only once the server asks for it (100). Over
   * a plain socket: Java 17's HttpClient hangs when the answer to an expectation is not 100.
   */
  Reply postExpectingContinue(String path, String token, String jsonBody) {
    return postExpectingContinue(path, token, jsonBody.getBytes(StandardCharsets.UTF_8), true);
  }

  /** The server's first answer to a POST that declares {@code length} bytes and asks first; the body is never sent. */
  Reply firstAnswerToExpectation(String path, String token, int length) {
    return postExpectingContinue(path, token, new byte[length], false);
  }

  private Reply postExpectingContinue(String path, String token, byte[] body, boolean sendWhenAsked) {
    return overSocket("POST " + path, (out, in) -> {
      out.write(postHead(path, token, "Content-Length: " + body.length, "Expect: 100-continue"));
      out.flush();
      Reply reply = readReply(in);
      if (reply.status() == 100 && sendWhenAsked) {
        out.write(body);
        out.flush();
        reply = readReply(in);
      }
      return reply;
    });
  }

  /** A POST that declares {@code length} bytes, sends only {@code start} of them and waits for the server's answer. */
  Reply postStalled(String path, String token, int length, String start) {
    return overSocket("POST " + path, (out, in) -> {
      out.write(postHead(path, token, "Content-Length: " + length));
      out.write(start.getBytes(StandardCharsets.UTF_8));
      out.flush();
      return readReply(in);
    });
  }

  /**
   * A JSON POST as the simplest clients send it: the whole body written (with its length, or
   * in 64 KiB chunks), and only then the answer read. A server that answers and closes before
   * it has read the body makes such a client fail with a broken pipe or a reset.
   */
  Reply postWhole(String path, String token, String jsonBody, boolean chunked) {
    byte[] body = jsonBody.getBytes(StandardCharsets.UTF_8);
    return overSocket("POST " + path, (out, in) -> {
      out.write(postHead(path, token, chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + body.length));
      for (int from = 0; from < body.length; from += 1 << 16) {
        int n = Math.min(1 << 16, body.length - from);
        if (chunked) out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, from, n);
        if (chunked) out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      if (chunked) out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return readReply(in);
    });
  }

  /** Sends {@code request} as it is, over a socket of its own, and reads one answer. */
  Reply raw(String request) {
    return overSocket("raw request", (out, in) -> {
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return readReply(in);
    });
  }

  /** The head of a JSON POST on a connection of its own, with the body's framing headers. */
  private static byte[] postHead(String path, String token, String... framing) {
    StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n");
    if (token != null) head.append("Authorization: Bearer ").append(token).append("\r\n");
    for (String header : framing) head.append(header).append("\r\n");
    return head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  private interface Exchange {
    Reply over(OutputStream out, InputStream in) throws IOException;
  }

  /** Runs {@code exchange} over a plain socket to the node (30 s read time-out); output is buffered, so an exchange flushes. */
  private Reply overSocket(String what, Exchange exchange) {
    URI uri = URI.create(baseUrl);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(30_000);
      return exchange.over(new BufferedOutputStream(socket.getOutputStream(), 1 << 16), new BufferedInputStream(socket.getInputStream()));
    } catch (IOException e) {
      throw new IllegalStateException(what + " failed", e);
    }
  }

  /** A response's status line, headers and (Content-Length, else up to the connection's end) body. */
  private static Reply readReply(InputStream in) throws IOException {
    int status = Integer.parseInt(line(in).split(" ")[1]);
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      headers.computeIfAbsent(header.substring(0, colon).trim(), k -> new ArrayList<>()).add(header.substring(colon + 1).trim());
    }
    HttpHeaders read = HttpHeaders.of(headers, (k, v) -> true);
    byte[] body = status == 100 || isEventStream(read) ? new byte[0]
        : headers.containsKey("Content-Length") ? in.readNBytes(Integer.parseInt(headers.get("Content-Length").get(0))) : in.readAllBytes();
    return new Reply(status, read, new String(body, StandardCharsets.UTF_8));
  }

  private static boolean isEventStream(HttpHeaders headers) {
    return headers.firstValue("Content-Type").orElse("").startsWith("text/event-stream");
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) throw new IOException("connection closed mid-line: " + line);
      if (b != '\r') line.append((char) b);
    }
    return line.toString();
  }

  String login(String username, String password) {
    Reply reply = post("/api/v1/auth/token", null, json(Map.of("username", username, "password", password)));
    if (reply.status() != 200) {
      throw new AssertionError("login of " + username + " answered " + reply.status() + ": " + reply.body());
    }
    return reply.json().get("access_token").asText();
  }

  void createUser(String adminToken, String username, String password, String... roles) {
    Reply reply = post("/api/v1/users", adminToken,
        json(Map.of("username", username, "password", password, "roles", java.util.List.of(roles))));
    if (reply.status() != 201) {
      throw new AssertionError("creating " + username + " answered " + reply.status() + ": " + reply.body());
    }
  }

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
