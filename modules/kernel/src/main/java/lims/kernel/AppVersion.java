package lims.kernel;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import org.apache.pekko.util.Version;

/**
 * The version a node announces to the cluster (pekko.cluster.app-version). During a rolling
 * restart the shard coordinator places shards on the nodes of the newest version, so a
 * restarted node takes work over from the older ones and not the other way round. Two builds
 * of one snapshot must compare in build order: "-SNAPSHOT" becomes the build's time.
 */
final class AppVersion {

  static final String SETTING = "lims.cluster.app-version";

  private AppVersion() {}

  /** The config with pekko.cluster.app-version set: the operator's, or the build's. */
  static Config applied(Config node) {
    String chosen = node.getString(SETTING);
    String version = chosen.isBlank() ? ofBuild(node.getString("lims.build.version"), node.getString("lims.build.time")) : chosen.strip();
    try {
      new Version(version).compareTo(new Version("0.0.0"));
    } catch (RuntimeException e) {
      throw ConfigRefused.setting(SETTING, node.getValue(SETTING), "is not a version like 1.2.3 or 1.2.3-20261202013000 (" + e.getMessage() + ")");
    }
    return node.withValue("pekko.cluster.app-version", ConfigValueFactory.fromAnyRef(version, "the build (" + SETTING + ")"));
  }

  /** 0.1.0-SNAPSHOT built at 20261202013000 is 0.1.0-20261202013000; a release is itself. */
  static String ofBuild(String version, String builtAt) {
    if (!version.endsWith("-SNAPSHOT") || !builtAt.matches("\\d{14}")) return version;
    return version.substring(0, version.length() - "-SNAPSHOT".length()) + "-" + builtAt;
  }
}
