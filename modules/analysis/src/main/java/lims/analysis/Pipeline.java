package lims.analysis;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

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

  /** One pipeline's settings, with {@code lims.analysis.pipeline-defaults} already as fallback. */
  static Pipeline fromConfig(String name, Config c) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("pipeline name '" + name + "' must be 1-64 lower-case letters, digits or '-'");
    }
    return new Pipeline(
        name,
        c.getString("host"),
        c.getInt("port"),
        c.getString("user"),
        Path.of(c.getString("private-key")),
        Path.of(c.getString("known-hosts")),
        CommandTemplate.parse(c.getString("command")),
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
