package lims.kernel;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.Set;

/**
 * Loads a node's configuration: the mode overlay from cluster-config (embedded.conf,
 * cluster.conf, test.conf) under command-line overrides, with -D system properties and
 * environment variables (named in the .conf files) applied as HOCON resolves them.
 */
public final class NodeConfig {

  public static final Set<String> MODES = Set.of("embedded", "cluster", "test");

  private NodeConfig() {}

  public static Config load(String mode, Map<String, ?> overrides) {
    if (!MODES.contains(mode)) {
      throw new IllegalArgumentException("unknown mode '" + mode + "'; expected one of " + MODES);
    }
    Config overlay = ConfigFactory.parseResources(mode + ".conf");
    if (overlay.isEmpty()) {
      throw new IllegalStateException(mode + ".conf is not on the classpath (module cluster-config)");
    }
    return ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(overlay));
  }
}
