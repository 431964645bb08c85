package lims.http;

import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/** The IP allowlist (before anything else, proxies honoured only when trusted) and login throttling. */
class AddressAndThrottleTest {

  @Test
  void addressesOutsideTheAllowlistAreRefusedBeforeAnythingElse() throws Exception {
    try (TestNode node = TestNode.start(TestDatabase.h2("allowlist"), Map.of("lims.security.ip-allowlist", "10.0.0.0/8"))) {
      ApiClient api = node.api;
      problem(api.post("/api/v1/auth/token", null, "{\"username\":\"admin\",\"password\":\"" + TestNode.ADMIN_PASSWORD + "\"}"), 403);
      problem(api.get("/metrics", null), 403);
      problem(api.get("/api/v1/no-such-path", null), 403);
      problem(api.post("/api/v1/users", null, "not even json"), 403);
      // Probes stay open so load balancers can check the node.
      assertEquals(200, api.get("/health", null).status());
      assertEquals(200, api.get("/ready", null).status());
    }
  }

  @Test
  void forwardedForIsBelievedOnlyFromTrustedProxies() throws Exception {
    Map<String, String> fromClinic = Map.of("X-Forwarded-For", "203.0.113.7");
    try (TestNode behindProxy = TestNode.start(TestDatabase.h2("trusted"),
        Map.of("lims.security.ip-allowlist", "203.0.113.0/24", "lims.security.trusted-proxies", "127.0.0.1/32"))) {
      ApiClient api = behindProxy.api;
      assertEquals(200, api.send("GET", "/metrics", null, null, fromClinic).status());
      problem(api.send("GET", "/metrics", null, null, Map.of("X-Forwarded-For", "198.51.100.1")), 403);
      // The rightmost untrusted hop is the client: a forged left-most entry does not help.
      problem(api.send("GET", "/metrics", null, null, Map.of("X-Forwarded-For", "203.0.113.7, 198.51.100.1")), 403);
      problem(api.get("/metrics", null), 403);
      // A proxy that adds its own header line: the client's forged line comes first.
      var twoLines = java.net.http.HttpRequest.newBuilder(java.net.URI.create(behindProxy.node.baseUrl() + "/metrics"))
          .header("X-Forwarded-For", "203.0.113.7").header("X-Forwarded-For", "198.51.100.1").build();
      assertEquals(403, java.net.http.HttpClient.newHttpClient().send(twoLines, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode());
    }
    try (TestNode direct = TestNode.start(TestDatabase.h2("untrusted"), Map.of("lims.security.ip-allowlist", "203.0.113.0/24"))) {
      problem(direct.api.send("GET", "/metrics", null, null, fromClinic), 403);
    }
  }

  @Test
  void loginsAreLimitedPerUserAndPerAddress() throws Exception {
    try (TestNode node = TestNode.start(TestDatabase.h2("throttle"),
        Map.of("lims.security.login-throttle.failures-per-user", 3, "lims.security.login-throttle.attempts-per-address", 10))) {
      ApiClient api = node.api;
      String admin = node.adminToken(); // 1 attempt from this address
      api.createUser(admin, "tina", "technician-password", "technician");
      for (int i = 0; i < 3; i++) {
        problem(api.post("/api/v1/auth/token", null, "{\"username\":\"tina\",\"password\":\"guess-number-" + i + "\"}"), 401);
      }
      ApiClient.Reply locked = api.post("/api/v1/auth/token", null, "{\"username\":\"tina\",\"password\":\"technician-password\"}");
      problem(locked, 429);
      assertTrue(Long.parseLong(locked.header("Retry-After")) > 0);
      // Another user is not locked by tina's failures (the refused try was not counted: 5 attempts so far).
      assertEquals(200, api.post("/api/v1/auth/token", null, "{\"username\":\"admin\",\"password\":\"" + TestNode.ADMIN_PASSWORD + "\"}").status());
      for (int i = 0; i < 5; i++) {
        problem(api.post("/api/v1/auth/token", null, "{\"username\":\"user" + i + "\",\"password\":\"whatever-password\"}"), 401);
      }
      // The address has used its 10 attempts: even a correct password waits.
      problem(api.post("/api/v1/auth/token", null, "{\"username\":\"admin\",\"password\":\"" + TestNode.ADMIN_PASSWORD + "\"}"), 429);
    }
  }
}
