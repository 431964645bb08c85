package lims.kernel;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * The node's connection pool for its own SQL (read tables, readiness), on the database the
 * journal uses. Creating it applies the schema migrations of persistence-schema, so a node
 * never runs against a schema older than its code. Blocking JDBC work runs on the bounded
 * {@code lims.jdbc-dispatcher}, never on the default dispatcher.
 *
 * <p>Every call is bounded (decision 0039): a connection is waited for at most
 * {@code lims.database.connection-timeout} (the pool's), a PostgreSQL statement hears from its
 * server within {@code socket-timeout-seconds} or fails, and the caller has its answer within
 * {@code lims.http.ask-timeout} whatever the JDBC thread is still stuck on, so a request that
 * needs the database answers 503 within the ask time-out when the database is down.
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
  private final long callTimeoutMillis;

  private Database(ActorSystem<?> system) {
    Config config = system.settings().config().getConfig("lims.database");
    this.vendor = config.getString("vendor");
    this.dataSource = pool(config, "lims-" + system.name(), config.getInt("pool-size"));
    this.jdbcExecutor =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("lims.jdbc-dispatcher"));
    this.callTimeoutMillis = system.settings().config().getDuration("lims.http.ask-timeout").toMillis();
    // On a connection of its own, without the pool's socket timeout: a migration may rightly
    // keep the server busy for minutes (an index on a large table) without a byte in between.
    FluentConfiguration flyway = migrations(vendor);
    (vendor.equals("postgresql") ? flyway.dataSource(postgresMigrationSource(config))
        : flyway.dataSource(config.getString("url"), config.getString("user"), config.getString("password"))).load().migrate();
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
    migrations(vendor).dataSource(dataSource).load().migrate();
  }

  /**
   * The migrations' connection: opening it is bounded (a server that accepts the connection and
   * then never answers, as a frozen one does, would otherwise hold the node at start for ever);
   * reading from it is not, for the reason given where it is used. (H2 is a file or in-process.)
   */
  static DataSource postgresMigrationSource(Config config) {
    org.postgresql.ds.PGSimpleDataSource source = new org.postgresql.ds.PGSimpleDataSource();
    source.setURL(config.getString("url"));
    source.setUser(config.getString("user"));
    source.setPassword(config.getString("password"));
    int seconds = (int) Math.max(1, config.getDuration("migration-connect-timeout").toSeconds());
    source.setConnectTimeout(seconds);
    source.setLoginTimeout(seconds);
    return source;
  }

  private static FluentConfiguration migrations(String vendor) {
    return Flyway.configure().locations("classpath:db/migration/common", "classpath:db/migration/" + vendor);
  }

  /** A pool on the database of {@code lims.database}, with its bounds: the node's, or the split-brain lease's own. */
  static HikariDataSource pool(Config config, String name, int size) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName(name);
    hikari.setJdbcUrl(config.getString("url"));
    hikari.setUsername(config.getString("user"));
    hikari.setPassword(config.getString("password"));
    hikari.setDriverClassName(config.getString("driver"));
    hikari.setMaximumPoolSize(size);
    hikari.setMinimumIdle(1);
    // HikariCP's 30 s default held a request for 30 s while the database was down.
    long connectionTimeout = config.getDuration("connection-timeout").toMillis();
    hikari.setConnectionTimeout(connectionTimeout);
    hikari.setValidationTimeout(connectionTimeout);
    // PostgreSQL's driver reads it (whole seconds); H2, in the same process, has no socket and ignores it.
    hikari.addDataSourceProperty("socketTimeout", config.getInt("socket-timeout-seconds"));
    return new HikariDataSource(hikari);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public String vendor() {
    return vendor;
  }

  /**
   * Runs blocking JDBC work on the JDBC dispatcher. The answer comes within the call time-out
   * (the ask time-out): past it the call fails as {@link DatabaseUnavailable}, and work still
   * queued for a thread by then is not started at all.
   */
  public <T> CompletionStage<T> withConnection(SqlWork<T> work) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(callTimeoutMillis);
    return CompletableFuture.supplyAsync(
        () -> {
          if (System.nanoTime() - deadline > 0) throw noAnswer();
          try (Connection connection = dataSource.getConnection()) {
            return work.apply(connection);
          } catch (SQLException e) {
            // Only a lost or refused connection is "unavailable"; any other SQL error is a fault of ours.
            if (isConnectionFailure(e)) throw new DatabaseUnavailable(e);
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
          }
        },
        jdbcExecutor)
        .orTimeout(callTimeoutMillis, TimeUnit.MILLISECONDS)
        .handle((answer, failure) -> {
          if (failure == null) return answer;
          if (Failures.cause(failure) instanceof TimeoutException) throw noAnswer();
          throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        });
  }

  /** Whether a pooled connection passes the driver's validity check within {@code bound} (at least a second: the driver counts seconds). */
  public CompletionStage<Boolean> connectionValid(java.time.Duration bound) {
    return withConnection(c -> c.isValid((int) Math.max(1, bound.toSeconds())));
  }

  private DatabaseUnavailable noAnswer() {
    return new DatabaseUnavailable("no answer from the database within " + callTimeoutMillis + " ms");
  }

  /**
   * SQLState class 08 (connection exception), 57P (the server shutting down, crashed, starting
   * up: a connection it ends), or the pool timing out waiting for a connection.
   */
  static boolean isConnectionFailure(SQLException e) {
    String state = e.getSQLState();
    return (state != null && (state.startsWith("08") || state.startsWith("57P")))
        || e instanceof java.sql.SQLTransientConnectionException;
  }

  @FunctionalInterface
  public interface SqlWork<T> {
    T apply(Connection connection) throws SQLException;
  }

  /** A database call failed for a reason outside the caller's control (not a client error). */
  public static final class DatabaseUnavailable extends RuntimeException {
    public DatabaseUnavailable(SQLException cause) {
      // The pool's "request timed out" says nothing of why: its cause does (connection refused, ...).
      super(cause.getCause() == null || cause.getCause() == cause ? cause.getMessage()
          : cause.getMessage() + " (" + cause.getCause().getMessage() + ")", cause);
    }

    DatabaseUnavailable(String message) {
      super(message);
    }
  }
}
