package lims.http;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lims.kernel.NodeConfig;

/** A real node inside the test JVM (test.conf overlay), on the database the caller names. */
final class TestNode implements AutoCloseable {

  static final String ADMIN_PASSWORD = "admin-test-password";

  final LimsNode node;
  final ApiClient api;

  private TestNode(LimsNode node) {
    this.node = node;
    this.api = new ApiClient(node.baseUrl());
  }

  static TestNode start(Map<String, Object> database) {
    return start(database, Map.of());
  }

  static TestNode start(Map<String, Object> database, Map<String, Object> settings) {
    TestNode started = startUnjoined(database, settings);
    try {
      started.node.adminReady().toCompletableFuture().get(60, TimeUnit.SECONDS);
      return started;
    } catch (Exception e) {
      throw new IllegalStateException("node did not become Up", e);
    }
  }

  /** Returns once HTTP is bound, without waiting for the node to be an Up member. */
  static TestNode startUnjoined(Map<String, Object> database, Map<String, Object> settings) {
    Map<String, Object> overrides = new HashMap<>(database);
    overrides.put("lims.security.admin-password", ADMIN_PASSWORD);
    overrides.putAll(settings);
    try {
      LimsNode node = LimsNode.start(NodeConfig.load("test", overrides)).toCompletableFuture().get(60, TimeUnit.SECONDS);
      return new TestNode(node);
    } catch (Exception e) {
      throw new IllegalStateException("node did not start", e);
    }
  }

  String adminToken() {
    return api.login("admin", ADMIN_PASSWORD);
  }

  @Override
  public void close() throws Exception {
    node.stop().toCompletableFuture().get(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS);
  }
}
