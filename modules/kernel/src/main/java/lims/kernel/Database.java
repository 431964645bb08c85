package lims.kernel;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.flywaydb.core.Flyway;

/**
 * The node's connection pool for its own SQL (read tables, readiness), on the database the
 * journal uses. Creating it applies the schema migrations of persistence-schema, so a node
 * never runs against a schema older than its code. Blocking JDBC work runs on the bounded
 * {@code lims.jdbc-dispatcher}, never on the default dispatcher.
 */
public final class Database implements Extension {

  private static final ExtensionId<Database> ID =
      new ExtensionId<>() {
        @Override
        public Database createExtension(ActorSystem<?> system) {
          return new Database(system);
        }
      };

  private final HikariDataSource dataSource;
  private final String vendor;
  private final Executor jdbcExecutor;

  private Database(ActorSystem<?> system) {
    Config config = system.settings().config().getConfig("lims.database");
    this.vendor = config.getString("vendor");
    this.dataSource = pool(config, system.name());
    this.jdbcExecutor =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("lims.jdbc-dispatcher"));
    migrate(dataSource, vendor);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "close-database-pool",
            () -> {
              dataSource.close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  public static Database get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /**
   * Applies the ordered migrations: the vendor's own folder plus {@code common}, for
   * migrations whose SQL both databases accept unchanged (versions are unique across both).
   * Concurrent nodes serialize on Flyway's lock.
   */
  public static void migrate(DataSource dataSource, String vendor) {
    Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration/common", "classpath:db/migration/" + vendor)
        .load()
        .migrate();
  }

  private static HikariDataSource pool(Config config, String systemName) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("lims-" + systemName);
    hikari.setJdbcUrl(config.getString("url"));
    hikari.setUsername(config.getString("user"));
    hikari.setPassword(config.getString("password"));
    hikari.setDriverClassName(config.getString("driver"));
    hikari.setMaximumPoolSize(config.getInt("pool-size"));
    hikari.setMinimumIdle(1);
    return new HikariDataSource(hikari);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public String vendor() {
    return vendor;
  }

  /** Runs blocking JDBC work on the JDBC dispatcher. */
  public <T> CompletionStage<T> withConnection(SqlWork<T> work) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Connection connection = dataSource.getConnection()) {
            return work.apply(connection);
          } catch (SQLException e) {
            // Only a lost or refused connection is "unavailable"; any other SQL error is a fault of ours.
            if (isConnectionFailure(e)) throw new DatabaseUnavailable(e);
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
          }
        },
        jdbcExecutor);
  }

  /** Whether the database answers a validity check within the timeout. */
  public CompletionStage<Boolean> answers(Duration timeout) {
    return withConnection(c -> c.isValid((int) Math.max(1, timeout.toSeconds())))
        .exceptionally(failure -> false);
  }

  /** SQLState class 08 (connection exception), or the pool timing out waiting for one. */
  static boolean isConnectionFailure(SQLException e) {
    String state = e.getSQLState();
    return (state != null && state.startsWith("08")) || e instanceof java.sql.SQLTransientConnectionException;
  }

  @FunctionalInterface
  public interface SqlWork<T> {
    T apply(Connection connection) throws SQLException;
  }

  /** A database call failed for a reason outside the caller's control (not a client error). */
  public static final class DatabaseUnavailable extends RuntimeException {
    public DatabaseUnavailable(SQLException cause) {
      super(cause.getMessage(), cause);
    }
  }
}
