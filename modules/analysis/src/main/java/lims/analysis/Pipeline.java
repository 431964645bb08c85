package lims.analysis;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import lims.kernel.ConfigRefused;

/**
 * A named remote analysis pipeline (docs/domain.md, Analyses): where it runs, how the backend
 * logs in (a private key, checked against a known-hosts file; never a password), the
 * command it starts, the shared folder its results appear in and how long it may take.
 */
public record Pipeline(
    String name,
    String host,
    int port,
    String user,
    Path privateKey,
    Path knownHosts,
    CommandTemplate command,
    Path results,
    Duration timeLimit,
    String tmuxSocket) {

  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,63}");

  /** What a pipeline's section may hold; lims.analysis.pipeline-defaults gives the optional ones. */
  static final List<String> SETTINGS = List.of("host", "port", "user", "private-key", "known-hosts", "command", "results", "time-limit", "tmux-socket");

  /**
   * One pipeline from its own settings and the defaults. A setting it does not have refuses the
   * start rather than being ignored (a misspelt time-limit would leave the 12 h default).
   */
  static Pipeline fromConfig(String name, ConfigObject own, Config defaults) {
    String path = "lims.analysis.pipelines." + ConfigUtil.joinPath(name);
    if (!NAME.matcher(name).matches()) {
      throw ConfigRefused.setting(path, own, "is refused: a pipeline's name must be 1-64 lower-case letters, digits or '-'");
    }
    for (String key : new TreeSet<>(own.keySet())) {
      if (!SETTINGS.contains(key)) {
        throw ConfigRefused.setting(path + "." + ConfigUtil.joinPath(key), own.get(key), "is not a pipeline setting"
            + ConfigRefused.closest(key, SETTINGS).map(k -> "; did you mean " + k + "?").orElse("; a pipeline has " + String.join(", ", SETTINGS)));
      }
    }
    Config c = own.toConfig().withFallback(defaults);
    for (String key : SETTINGS) {
      if (!c.hasPath(key)) throw ConfigRefused.setting(path, own, "has no " + key + " (a pipeline needs " + String.join(", ", SETTINGS) + ")");
    }
    CommandTemplate command;
    try {
      command = CommandTemplate.parse(c.getString("command"));
    } catch (IllegalArgumentException e) {
      throw ConfigRefused.setting(path + ".command", c.getValue("command"), "is refused: " + e.getMessage());
    }
    return new Pipeline(
        name,
        c.getString("host"),
        c.getInt("port"),
        c.getString("user"),
        Path.of(c.getString("private-key")),
        Path.of(c.getString("known-hosts")),
        command,
        Path.of(c.getString("results")).toAbsolutePath().normalize(),
        c.getDuration("time-limit"),
        c.getString("tmux-socket"));
  }

  /** Where this analysis's result file must appear. */
  public Path resultFolder(String analysisId) {
    return results.resolve(analysisId);
  }

  /** How the API and logs name the remote session. */
  public String remoteSession(String analysisId) {
    return "tmux -L " + tmuxSocket + " " + analysisId + " on " + user + "@" + host + ":" + port;
  }
}
