package lims.http;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import lims.kernel.NodeConfig;
import org.apache.pekko.actor.CoordinatedShutdown;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Starts one node: {@code embedded} (one node, H2 file) or {@code cluster} (PostgreSQL, N nodes). */
@Command(name = "lims-node", mixinStandardHelpOptions = true, description = "Starts a LIMS node.")
public final class Main implements Callable<Integer> {

  /** How long Main waits for the node to be up. */
  static final Duration START_BOUND = Duration.ofMinutes(2);

  @Parameters(index = "0", description = "embedded | cluster", defaultValue = "embedded")
  String mode;

  @Option(names = "--port", description = "HTTP port (LIMS_HTTP_PORT)")
  Integer port;

  @Option(names = "--host", description = "HTTP interface (LIMS_HTTP_HOST)")
  String host;

  @Option(names = "--data-dir", description = "embedded database folder (LIMS_DATA_DIR)")
  String dataDir;

  @Option(names = "--db-url", description = "JDBC URL (LIMS_DB_URL)")
  String dbUrl;

  @Option(names = "--db-user", description = "database user (LIMS_DB_USER)")
  String dbUser;

  @Option(names = "--seed-nodes", description = "comma-separated host:port of seed nodes (LIMS_SEED_NODES)")
  String seedNodes;

  @Option(names = "--remote-host", description = "this node's cluster address (LIMS_REMOTE_HOST)")
  String remoteHost;

  @Option(names = "--remote-port", description = "this node's cluster port (LIMS_REMOTE_PORT)")
  Integer remotePort;

  @Option(names = "--management-port", description = "Pekko Management port (LIMS_MANAGEMENT_PORT)")
  Integer managementPort;

  @Option(names = "--verbose", description = "embedded: the whole log on the console too, not only in <data-dir>/lims.log")
  boolean verbose;

  public static void main(String[] args) {
    lims.kernel.CommonPool.ensureParallelism();
    System.setOut(new StrayPrintlnFilter(System.out));
    System.exit(new CommandLine(new Main()).setExecutionExceptionHandler((failure, line, parsed) -> NodeConfig.refusedStart(failure)).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Map<String, Object> overrides = new HashMap<>();
    put(overrides, "lims.http.port", port);
    put(overrides, "lims.http.host", host);
    put(overrides, "lims.data-dir", dataDir);
    put(overrides, "lims.database.url", dbUrl);
    put(overrides, "lims.database.user", dbUser);
    put(overrides, "lims.cluster.seed-nodes", seedNodes);
    put(overrides, "pekko.remote.artery.canonical.hostname", remoteHost);
    put(overrides, "pekko.remote.artery.canonical.port", remotePort);
    put(overrides, "pekko.management.http.port", managementPort);
    Config config = NodeConfig.load(mode, overrides);
    // Before the banner and the log (its file is in the data folder): a refusal writes nothing.
    StartChecks.run(config);
    ConsoleBanner banner = new ConsoleBanner(config, chooseLogging(config, verbose));
    System.out.println(banner.starting());

    LimsNode node;
    try {
      node = LimsNode.start(config).toCompletableFuture().get(START_BOUND.toMinutes(), TimeUnit.MINUTES);
    } catch (Exception e) {
      // A value only a library reads (a Pekko setting) can still be refused here: main's
      // handler prints the refusal alone, with status 2.
      if (NodeConfig.refusal(e).isPresent()) throw e;
      // The console may show no log at all: the reason must reach it here.
      System.err.println(banner.didNotStart(whyNotStarted(e)));
      return 1;
    }
    node.adminReady().whenComplete((password, failure) ->
        System.out.println(failure == null ? banner.up(node.baseUrl(), password) : banner.noAdmin(node.baseUrl(), failure)));
    node.system().getWhenTerminated().toCompletableFuture().get();
    // Ctrl-C and SIGTERM stop the node through the JVM's exit; anything else stopped it by itself.
    Optional<CoordinatedShutdown.Reason> reason = CoordinatedShutdown.get(node.system()).getShutdownReason();
    if (reason.isPresent() && reason.get() != CoordinatedShutdown.jvmExitReason()) {
      System.err.println(banner.stopped(reason.get()));
      return 1;
    }
    return 0;
  }

  /** What stopped the start, for the console: a start past its bound says so (a TimeoutException has no message). */
  static Throwable whyNotStarted(Exception failure) {
    if (failure instanceof TimeoutException) {
      return new TimeoutException("not up within " + START_BOUND.toMinutes() + " minutes");
    }
    return failure instanceof ExecutionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  /**
   * Picks the logback configuration before the first logger exists; returns the log file
   * when the log goes to one. JSON lines (lims.log-format) and cluster nodes log everything
   * to the console, as log shippers and service managers expect; the embedded default writes
   * the whole log to a file in its data folder and shows the console only errors, unless
   * verbose. An operator's own -Dlogback.configurationFile wins.
   */
  static Optional<Path> chooseLogging(Config config, boolean verbose) {
    if (System.getProperty("logback.configurationFile") != null) return Optional.empty();
    if (config.getString("lims.log-format").equals("json")) {
      System.setProperty("logback.configurationFile", "logback-json.xml");
      return Optional.empty();
    }
    if (!config.getString("lims.mode").equals("embedded")) return Optional.empty();
    Path file = Path.of(config.getString("lims.data-dir")).toAbsolutePath().normalize().resolve("lims.log");
    System.setProperty("lims.log.file", file.toString());
    System.setProperty("lims.log.console-level", verbose ? "TRACE" : "ERROR");
    System.setProperty("logback.configurationFile", "logback-embedded.xml");
    return Optional.of(file);
  }

  private static void put(Map<String, Object> overrides, String key, Object value) {
    if (value != null) overrides.put(key, value);
  }
}
