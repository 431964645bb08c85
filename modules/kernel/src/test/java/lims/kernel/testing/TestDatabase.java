package lims.kernel.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh, empty database for one test, as configuration overrides for a node. The
 * vendor comes from the system property {@code lims.test.database} (h2 or postgresql,
 * set per surefire execution). PostgreSQL is the private server that {@code ./lims test}
 * starts ({@code LIMS_TEST_PG_URL}); without it a test is skipped locally and fails in CI.
 */
public final class TestDatabase {

  private TestDatabase() {}

  public static String vendor() {
    return System.getProperty("lims.test.database", "h2");
  }

  /** A new database of the vendor under test. */
  public static Map<String, Object> fresh(String name) {
    return vendor().equals("postgresql") ? postgresql(name) : h2(name);
  }

  public static Map<String, Object> h2(String name) {
    try {
      Path dir = Files.createTempDirectory("lims-h2-" + name);
      Map<String, Object> overrides = new HashMap<>();
      overrides.put("lims.database.vendor", "h2");
      overrides.put("lims.database.url", "jdbc:h2:file:" + dir.resolve("lims") + ";DB_CLOSE_ON_EXIT=FALSE");
      overrides.put("lims.database.driver", "org.h2.Driver");
      overrides.put("lims.database.slick-profile", "slick.jdbc.H2Profile$");
      overrides.put("pekko.projection.jdbc.dialect", "h2-dialect");
      overrides.put("lims.database.user", "lims");
      overrides.put("lims.database.password", "");
      return overrides;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Map<String, Object> postgresql(String name) {
    String adminUrl = System.getenv("LIMS_TEST_PG_URL");
    if (adminUrl == null || adminUrl.isBlank()) {
      if (System.getenv("CI") != null) {
        throw new IllegalStateException("CI is set but LIMS_TEST_PG_URL is not: run the tests with ./lims test");
      }
      Assumptions.abort("no PostgreSQL for tests (LIMS_TEST_PG_URL); ./lims test starts one");
    }
    String user = envOr("LIMS_TEST_PG_USER", "lims");
    String password = envOr("LIMS_TEST_PG_PASSWORD", "");
    String database = ("lims_" + name + "_" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    try (Connection c = DriverManager.getConnection(adminUrl, user, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + database);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + database + " at " + adminUrl, e);
    }
    Map<String, Object> overrides = new HashMap<>();
    overrides.put("lims.database.vendor", "postgresql");
    overrides.put("lims.database.url", adminUrl.replaceFirst("/[^/?]*(\\?.*)?$", "/" + database + "?reWriteBatchedInserts=true"));
    overrides.put("lims.database.driver", "org.postgresql.Driver");
    overrides.put("lims.database.slick-profile", "slick.jdbc.PostgresProfile$");
    // The dialect cluster.conf uses in production.
    overrides.put("pekko.projection.jdbc.dialect", "postgres-dialect");
    overrides.put("lims.database.user", user);
    overrides.put("lims.database.password", password);
    return overrides;
  }

  private static String envOr(String name, String fallback) {
    String value = System.getenv(name);
    return value == null ? fallback : value;
  }
}
