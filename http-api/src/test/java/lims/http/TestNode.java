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
    } catch (Exception e) {
      throw new IllegalStateException("node did not become Up", e);
    }
    // As a load balancer waits for /ready: every shard region registered, the journal answering (decision 0039).
    started.eventually(() -> {
      try {
        Readiness.Report report = Readiness.get(started.node.system()).report().toCompletableFuture().get(10, TimeUnit.SECONDS);
        if (!report.ready()) throw new AssertionError("not ready: " + report.failures());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    return started;
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

  /** Awaits a condition that becomes true once projections catch up (no sleeping). */
  void eventually(Runnable check) {
    eventually(Duration.ofSeconds(20), check);
  }

  /** The same, for work that takes longer (a report of hundreds of pages). */
  void eventually(Duration bound, Runnable check) {
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<Object> probe =
        org.apache.pekko.actor.testkit.typed.javadsl.TestProbe.create(node.system());
    probe.awaitAssert(bound, () -> {
      check.run();
      return null;
    });
  }

  /** A count straight from the node's database: what is really stored. */
  long count(String sql, Object... args) {
    try (java.sql.Connection c = lims.kernel.Database.get(node.system()).dataSource().getConnection();
        java.sql.PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) s.setObject(i + 1, args[i]);
      try (java.sql.ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A text straight from the node's database (the first column of the first row; null for none). */
  String text(String sql, Object... args) {
    try (java.sql.Connection c = lims.kernel.Database.get(node.system()).dataSource().getConnection();
        java.sql.PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) s.setObject(i + 1, args[i]);
      try (java.sql.ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A write straight to the node's database (a row no build of the node would write). */
  int update(String sql, Object... args) {
    try (java.sql.Connection c = lims.kernel.Database.get(node.system()).dataSource().getConnection();
        java.sql.PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) s.setObject(i + 1, args[i]);
      return s.executeUpdate();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
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
