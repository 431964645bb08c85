package lims.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** What any API user sends: JSON over HTTP with a bearer token. Nothing of the node's code. */
final class Client {

  static final ObjectMapper JSON = new ObjectMapper();

  record Reply(int status, String contentType, byte[] bytes) {
    String body() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    JsonNode json() {
      try {
        return JSON.readTree(bytes);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body(), e);
      }
    }

    /** The JSON body, after checking the status. */
    JsonNode expect(int expected) {
      assertEquals(expected, status, body());
      return json();
    }
  }

  final String baseUrl;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private String token;

  Client(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** This client, logged in as {@code username}: its later calls carry that user's token. */
  Client as(String username, String password) {
    Client client = new Client(baseUrl);
    client.token = post("/api/v1/auth/token", Map.of("username", username, "password", password)).expect(200).get("access_token").asText();
    return client;
  }

  Reply get(String path) {
    return send("GET", path, null, Map.of());
  }

  Reply get(String path, String accept) {
    return send("GET", path, null, Map.of("Accept", accept));
  }

  Reply post(String path, Object body) {
    return send("POST", path, body, Map.of());
  }

  Reply put(String path, Object body) {
    return send("PUT", path, body, Map.of());
  }

  private Reply send(String method, String path, Object body, Map<String, String> headers) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
          .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      if (body != null) request.header("Content-Type", "application/json");
      if (token != null) request.header("Authorization", "Bearer " + token);
      headers.forEach(request::header);
      HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
