package lims.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The bearer token the adapter presents when it opens its stream: one given as is (it cannot
 * be renewed: once it expires the node refuses the upgrade with 401), or one obtained by
 * logging in as an instrument user (POST /api/v1/auth/token) and obtained again before it
 * expires or when the node says it has.
 */
public interface Credentials {

  /** A token to present now. */
  String token();

  /** The node refused the last token (401): the next {@link #token} should be a fresh one. */
  default void expired() {}

  static Credentials fixed(String token) {
    return () -> token;
  }

  static Credentials login(URI node, String username, String password, Duration timeout) {
    return new Login(node, username, password, timeout);
  }

  /** Logs in again a minute before the token's expiry. */
  final class Login implements Credentials {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI tokenUri;
    private final String body;
    private final Duration timeout;
    private final HttpClient http;
    private String token;
    private Instant renewAt = Instant.MIN;

    private Login(URI node, String username, String password, Duration timeout) {
      this.tokenUri = node.resolve("/api/v1/auth/token");
      try {
        this.body = JSON.writeValueAsString(Map.of("username", username, "password", password));
      } catch (IOException e) {
        throw new IllegalArgumentException(e);
      }
      this.timeout = timeout;
      this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public synchronized String token() {
      if (token != null && Instant.now().isBefore(renewAt)) return token;
      try {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(tokenUri).timeout(timeout)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) throw new IllegalStateException("logging in answered " + answer.statusCode() + ": " + answer.body());
        JsonNode tokens = JSON.readTree(answer.body());
        token = tokens.get("access_token").asText();
        renewAt = Instant.now().plusSeconds(Math.max(0, tokens.path("expires_in").asLong(0) - 60));
        return token;
      } catch (IOException e) {
        throw new IllegalStateException("logging in failed: " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while logging in", e);
      }
    }

    @Override
    public synchronized void expired() {
      renewAt = Instant.MIN;
    }
  }
}
