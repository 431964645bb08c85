package lims.http;

import com.typesafe.config.Config;
import lims.analysis.Pipelines;
import lims.kernel.ConfigRefused;
import lims.security.TokenService;

/**
 * What a node refuses beyond {@link lims.kernel.NodeConfig}'s check, because the modules that
 * know it sit above the kernel: the development signing key where others can reach the node,
 * and a pipeline that cannot work. {@link Main} runs these before its banner and before
 * logging is set up (which creates the embedded node's log file), so a refusal is one line on
 * standard error with nothing written; this class therefore has no logger.
 * {@link LimsNode#start} runs them again for the nodes tests and benchmarks start.
 */
final class StartChecks {

  private StartChecks() {}

  /** The lab's pipelines, when the configuration is safe to start with. */
  static Pipelines run(Config config) {
    refuseTheDevelopmentKeyWhereOthersReach(config);
    return Pipelines.fromConfig(config.getConfig("lims.analysis"));
  }

  /**
   * The development signing key is public (it is in this repository): anyone who can reach a
   * node that uses it can mint an admin token. So only a non-cluster node listening on
   * loopback may use it.
   */
  private static void refuseTheDevelopmentKeyWhereOthersReach(Config config) {
    if (!TokenService.usesDevelopmentKey(config.getConfig("lims.security.jwt"))) return;
    if (config.getString("lims.mode").equals("cluster")) {
      throw new ConfigRefused(
          "refusing to start a cluster node with the built-in development JWT key: set LIMS_JWT_SECRET (at least 32 bytes)");
    }
    String host = config.getString("lims.http.host");
    if (!(host.equals("localhost") || host.startsWith("127.") || host.equals("::1"))) {
      throw new ConfigRefused("refusing to listen on " + host + " with the built-in development JWT key: "
          + "set LIMS_JWT_SECRET (at least 32 bytes), or listen on 127.0.0.1");
    }
  }
}
