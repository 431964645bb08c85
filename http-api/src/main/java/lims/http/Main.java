package lims.http;

import com.typesafe.config.Config;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import lims.kernel.NodeConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Starts one node: {@code embedded} (one node, H2 file) or {@code cluster} (PostgreSQL, N nodes). */
@Command(name = "lims-node", mixinStandardHelpOptions = true, description = "Starts a LIMS node.")
public final class Main implements Callable<Integer> {

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

  public static void main(String[] args) {
    lims.kernel.CommonPool.ensureParallelism();
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
    // Before the first logger exists: JSON lines replace the readable text when asked for.
    if (config.getString("lims.log-format").equals("json") && System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-json.xml");
    }

    LimsNode node = LimsNode.start(config).toCompletableFuture().get(2, TimeUnit.MINUTES);
    System.out.println("LIMS " + mode + " node is up: " + node.baseUrl() + "  (health: " + node.baseUrl() + "/health)");
    node.system().getWhenTerminated().toCompletableFuture().get();
    return 0;
  }

  private static void put(Map<String, Object> overrides, String key, Object value) {
    if (value != null) overrides.put(key, value);
  }
}
