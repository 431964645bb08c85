package lims.kernel;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A node refusing to start with its configuration. The message is one line that names the
 * setting, where its value came from and what is wrong, so an operator can act on it without
 * reading a stack trace: {@code Main} prints only the message and exits with status 2.
 */
public final class ConfigRefused extends IllegalStateException {

  static final String REFUSING = "refusing to start: ";

  public ConfigRefused(String message) {
    super(message);
  }

  /** "refusing to start: PATH = VALUE (WHERE) PROBLEM", where WHERE is the file and line, variable or -D it came from. */
  public static ConfigRefused setting(String path, ConfigValue value, String problem) {
    return new ConfigRefused(REFUSING + describe(path, value) + " " + problem);
  }

  /** "PATH = VALUE (WHERE)". */
  static String describe(String path, ConfigValue value) {
    return path + " = " + shown(path, value) + where(path, value.origin());
  }

  /**
   * The value as a refusal shows it: {@code ***} for a setting that may hold a secret, as the
   * line goes to the service's log (journald, docker logs), and so for such a setting inside a
   * section shown.
   */
  static String shown(String path, ConfigValue value) {
    if (namesASecret(path)) return "***";
    String rendered = scrubbed(masked(value).render(ConfigRenderOptions.concise()));
    return rendered.length() > 80 ? rendered.substring(0, 77) + "..." : rendered;
  }

  /** Secrets inside a value of any name: a URL's user:password@ and a password=... parameter (a misspelt database url). */
  static String scrubbed(String rendered) {
    return URL_PASSWORD.matcher(SECRET_PARAMETER.matcher(rendered).replaceAll("$1***")).replaceAll("$1***@");
  }

  private static final java.util.regex.Pattern SECRET_PARAMETER =
      java.util.regex.Pattern.compile("(?i)((?:pass\\w*|secret\\w*|\\w*token|\\w*key|pwd)=)[^&;,\\s\"']*");
  private static final java.util.regex.Pattern URL_PASSWORD = java.util.regex.Pattern.compile("(://[^:/@\\s\"]+:)[^@/\\s\"]+@");

  private static ConfigValue masked(ConfigValue value) {
    if (!(value instanceof ConfigObject section)) return value;
    ConfigObject shown = section;
    for (String key : section.keySet()) {
      shown = shown.withValue(key, namesASecret(key) ? ConfigValueFactory.fromAnyRef("***") : masked(section.get(key)));
    }
    return shown;
  }

  /**
   * Whether the setting's name ends in a word for a secret (password, jwt.secret, api-key,
   * token; not access-token-ttl). A misspelt name is what gets a setting refused, so near
   * misses count too (pasword, secrte).
   */
  private static boolean namesASecret(String path) {
    String[] words = path.toLowerCase(Locale.ROOT).split("[^a-z0-9]+");
    String last = words.length == 0 ? "" : words[words.length - 1];
    return SECRET_STEMS.stream().anyMatch(last::contains) || closest(last, SECRET_WORDS).isPresent();
  }

  /** A name ending in a word containing one of these names a secret: password, passwd, passphrase, secret, key, token, credentials, pwd. */
  private static final List<String> SECRET_STEMS = List.of("pass", "secret", "key", "token", "credential", "pwd");

  /** ...and so does a near miss of one of these (of the shorter ones, ordinary words such as open are near misses). */
  private static final List<String> SECRET_WORDS = List.of("password", "secret", "credentials");

  /** The known name closest to a misspelt one (at most two edits, or a fifth of its length), if any. */
  public static Optional<String> closest(String name, Collection<String> known) {
    int allowed = Math.max(2, name.length() / 5);
    return known.stream()
        .filter(k -> editDistance(name, k) <= allowed)
        .min(Comparator.comparingInt((String k) -> editDistance(name, k)).thenComparing(Comparator.naturalOrder()));
  }

  private static String where(String path, ConfigOrigin origin) {
    if (origin.filename() != null) return " (" + origin.filename() + ":" + origin.lineNumber() + ")";
    if (origin.resource() != null) return " (" + origin.resource() + ":" + origin.lineNumber() + ")";
    String description = origin.description();
    if (description.startsWith(NodeConfig.FROM_VARIABLE)) return " (" + description + ")";
    if (description.contains("system properties")) return " (-D" + path + ")";
    return "";
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) previous[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
