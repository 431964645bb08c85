package lims.http;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.CoordinatedShutdown;

/**
 * What a person starting a node reads on the console: where it answers, how to log in,
 * where its data and log are, how to stop it. Printed to standard output, never logged:
 * it may carry the first admin's generated password, which is shown this once only.
 */
final class ConsoleBanner {

  private final String mode;
  private final Optional<Path> dataDir;
  private final Optional<Path> logFile;
  private final boolean passwordConfigured;

  /** @param logFile the file the whole log goes to, when it does not go to the console */
  ConsoleBanner(Config config, Optional<Path> logFile) {
    this.mode = config.getString("lims.mode");
    this.dataDir = mode.equals("embedded")
        ? Optional.of(Path.of(config.getString("lims.data-dir")).toAbsolutePath().normalize())
        : Optional.empty();
    this.logFile = logFile;
    this.passwordConfigured = !config.getString("lims.security.admin-password").isBlank();
  }

  String starting() {
    return "Starting LIMS (" + mode + " node)" + logFile.map(f -> "; its log goes to " + f).orElse("") + " ...";
  }

  /** @param generatedPassword the first admin's password, when this start generated it */
  String up(String baseUrl, Optional<String> generatedPassword) {
    String login = generatedPassword.map(p -> "user admin, password " + p + "   (first start: shown only this once; "
            + "set LIMS_ADMIN_PASSWORD to choose it)")
        .orElse(passwordConfigured ? "user admin, with the password in LIMS_ADMIN_PASSWORD"
            : "user admin, with the password printed at its first start");
    return lines(baseUrl, "  Log in:  " + login + "\n           POST " + baseUrl + "/api/v1/auth/token {\"username\":..., \"password\":...}");
  }

  /** The node answers, but the first admin could not be created (the log has the details). */
  String noAdmin(String baseUrl, Throwable failure) {
    return lines(baseUrl, "  Log in:  not possible yet: the first user, admin, could not be created (" + failure.getMessage() + ")");
  }

  private String lines(String baseUrl, String login) {
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add("  LIMS is up: " + baseUrl + "   (the web UI; health: " + baseUrl + "/health, every route: " + baseUrl + "/api/v1/openapi.yaml)");
    lines.add(login);
    dataDir.ifPresent(d -> lines.add("  Data:    " + d));
    logFile.ifPresent(f -> lines.add("  Log:     " + f + "   (--verbose prints it here too)"));
    lines.add("  Stop:    Ctrl-C");
    lines.add("");
    return String.join("\n", lines);
  }

  String didNotStart(Throwable cause) {
    return "LIMS did not start: " + cause.getMessage() + logFile.map(f -> "\nThe whole log: " + f).orElse("");
  }

  String stopped(CoordinatedShutdown.Reason reason) {
    return "LIMS stopped by itself (" + reason + ")" + logFile.map(f -> "; the whole log: " + f).orElse("");
  }
}
