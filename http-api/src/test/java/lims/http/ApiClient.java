package lims.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A plain HTTP client for tests: what any API user would send, nothing Pekko-specific. */
final class ApiClient {

  static final ObjectMapper JSON = new ObjectMapper();

  record Reply(int status, HttpResponse<String> raw) {
    JsonNode json() {
      try {
        return JSON.readTree(raw.body());
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + raw.body(), e);
      }
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    String contentType() {
      return header("Content-Type");
    }

    String body() {
      return raw.body();
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

  Reply post(String path, String token, String jsonBody) {
    return send("POST", path, token, jsonBody, Map.of("Content-Type", "application/json"));
  }

  Reply send(String method, String path, String token, String body, Map<String, String> headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(Duration.ofSeconds(30))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) request.header("Authorization", "Bearer " + token);
    headers.forEach(request::header);
    try {
      HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), response);
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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
