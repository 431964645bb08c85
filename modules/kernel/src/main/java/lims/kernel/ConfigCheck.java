package lims.kernel;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigResolver;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The check of a node's effective configuration before anything starts: configuration is
 * never silently ignored. A setting under {@code lims.} that no code reads, a value of the
 * wrong kind, or a {@code LIMS_} environment variable that no setting reads refuses the start
 * with a {@link ConfigRefused} naming it (and, for a near miss, the setting meant).
 *
 * <p>What exists, and of which kind, is the shipped {@code application.conf} with its
 * includes: it gives every setting the code reads with its default (the mode overlays only
 * change values). Three kinds of section are exceptions to "not in application.conf means
 * unknown": the sections whose entries the lab names, declared below; dispatchers (a section
 * with {@code type = Dispatcher}), whose settings are Pekko's and are checked against its
 * template {@code pekko.actor.default-dispatcher}; and, outside {@code lims.}, the libraries'
 * own settings, of which only those application.conf sets are checked (for their kind).
 */
final class ConfigCheck {

  /** Sections whose entries the lab names (a pipeline, a test code, an operation), and what each entry is. */
  private static final Map<String, SettingKind> NAMED_BY_THE_LAB = Map.of(
      // Each pipeline's own settings are checked by lims.analysis.Pipeline, which reads them.
      "lims.analysis.pipelines", SettingKind.SECTION,
      "lims.analysis.pipeline-for-test", SettingKind.TEXT,
      "lims.device.simulated-driver.durations", SettingKind.DURATION);

  /** Sections of NAMED_BY_THE_LAB whose entries take their defaults from a section beside them: those settings are of their default's kind. */
  private static final Map<String, String> ENTRY_DEFAULTS = Map.of("lims.analysis.pipelines", "pipeline-defaults");

  /** Variables of the launcher script (./lims), the tests, the benchmarks and the adapter (LIMS_ADAPTER_PASSWORD): never a node's setting. */
  private static final Pattern LAUNCHER_VARIABLES = Pattern.compile("LIMS_(JAVA_OPTS|PG_OPTS|TEST_\\w*|BENCH_\\w*|ADAPTER_\\w*)");

  /** The test harness's system property lims.test.database (the database under test) reaches the config as -D does: not a setting. */
  private static final String HARNESS_SECTION = "lims.test";

  private static final String DISPATCHER_TEMPLATE = "pekko.actor.default-dispatcher";

  private final ConfigObject reference;
  private final ConfigObject dispatcherTemplate;
  private final Set<String> variables;

  private ConfigCheck(ConfigObject reference, ConfigObject dispatcherTemplate, Set<String> variables) {
    this.reference = reference;
    this.dispatcherTemplate = dispatcherTemplate;
    this.variables = variables;
  }

  /** The check for a node whose files (the overlay, unresolved, and the pipelines file) read these variables. */
  static ConfigCheck of(Config node, Set<String> variables) {
    Config shipped = ConfigFactory.parseResources("application.conf").resolve(ConfigResolveOptions.noSystem());
    return new ConfigCheck(shipped.root(), node.getObject(DISPATCHER_TEMPLATE), variables);
  }

  void check(Config node, Map<String, String> environment) {
    walk(List.of(), node.root(), reference, false);
    for (String name : new TreeSet<>(environment.keySet())) {
      if (name.startsWith("LIMS_") && !variables.contains(name) && !LAUNCHER_VARIABLES.matcher(name).matches()
          && !setByThePlatform(name, environment.get(name))) {
        throw new ConfigRefused(ConfigRefused.REFUSING + "the environment variable " + name
            + " is not read by the " + node.getString("lims.mode") + " configuration"
            + ConfigRefused.closest(name, variables).map(v -> "; did you mean " + v + "?").orElse("")
            + " (docs/operations.md lists the variables)");
      }
    }
  }

  /**
   * A variable Kubernetes or Docker sets for a service or a linked container named lims or
   * lims-something (lims-db): LIMS_SERVICE_HOST, LIMS_SERVICE_PORT, LIMS_SERVICE_PORT_HTTP,
   * LIMS_PORT_8080_TCP_ADDR, LIMS_DB_PORT_5432_TCP, LIMS_DB_ENV_POSTGRES_USER. The node's own
   * settings end otherwise, and a variable it reads is never taken for one of these.
   */
  private static final Pattern SERVICE_VARIABLES =
      Pattern.compile("LIMS(_\\w+)?_(SERVICE_HOST|SERVICE_PORT(_\\w+)?|PORT_\\d+_(TCP|UDP|SCTP)(_ADDR|_PORT|_PROTO)?|ENV_\\w+)");

  /**
   * NAME_PORT alone is the service's address, tcp://10.0.0.7:8080; a setting's port would be a
   * number. So LIMS_DB_PORT=5432, which no setting reads (the port is in LIMS_DB_URL), is
   * refused, and LIMS_DB_PORT=tcp://10.0.0.7:5432, from a service lims-db, passes.
   */
  private static final Pattern SERVICE_ADDRESS = Pattern.compile("(tcp|udp|sctp)://\\S+:\\d+");

  /** A Docker link's NAME_NAME is /this-container/alias. */
  private static final Pattern DOCKER_LINK_NAME = Pattern.compile("/[^/\\s]+/[^/\\s]+");

  private static boolean setByThePlatform(String name, String value) {
    if (SERVICE_VARIABLES.matcher(name).matches()) return true;
    if (value == null) return false;
    return name.endsWith("_PORT") && SERVICE_ADDRESS.matcher(value).matches()
        || name.endsWith("_NAME") && DOCKER_LINK_NAME.matcher(value).matches();
  }

  /** Every LIMS_ variable a ${?VAR} of these files (or the files they include) reads: the resolver is asked for each. */
  static Set<String> variablesRead(Config files) {
    Set<String> names = new TreeSet<>();
    // Unresolved substitutions are let be: the pipelines file may read ${HOME}, which this resolver does not give.
    files.resolve(ConfigResolveOptions.noSystem().setAllowUnresolved(true).appendResolver(new ConfigResolver() {
      @Override
      public ConfigValue lookup(String path) {
        if (path.startsWith("LIMS_")) names.add(path);
        return null;
      }

      @Override
      public ConfigResolver withFallback(ConfigResolver fallback) {
        return this;
      }
    }));
    return names;
  }

  /**
   * Compares one section with its defaults. Outside lims, a setting application.conf does
   * not set belongs to a library and is left to it.
   */
  private void walk(List<String> path, ConfigObject values, ConfigObject defaults, boolean pekkoDefaults) {
    for (String key : new TreeSet<>(values.keySet())) {
      List<String> at = append(path, key);
      String name = ConfigUtil.joinPath(at);
      ConfigValue value = values.get(key);
      ConfigValue byDefault = defaults.get(key);
      if (byDefault == null) {
        if (at.get(0).equals("lims") && !name.equals(HARNESS_SECTION)) throw unknown(path, key, value, defaults);
        continue;
      }
      SettingKind kind = requireKind(at, value, byDefault, pekkoDefaults);
      SettingKind entries = NAMED_BY_THE_LAB.get(name);
      if (entries != null) {
        checkEntries(at, (ConfigObject) value, entries, defaults);
      } else if (kind == SettingKind.SECTION) {
        ConfigObject sectionDefaults = (ConfigObject) byDefault;
        boolean dispatcher = at.get(0).equals("lims") && isDispatcher(sectionDefaults);
        walk(at, (ConfigObject) value, dispatcher ? sectionDefaults.withFallback(dispatcherTemplate) : sectionDefaults,
            pekkoDefaults || dispatcher);
      }
    }
  }

  /** An entry named like a setting beside its section was meant to be that setting: it is refused, not taken as a name. */
  private static void checkEntries(List<String> section, ConfigObject entries, SettingKind kind, ConfigObject besideSection) {
    String sectionName = ConfigUtil.joinPath(section);
    ConfigValue entryDefaults = ENTRY_DEFAULTS.containsKey(sectionName) ? besideSection.get(ENTRY_DEFAULTS.get(sectionName)) : null;
    for (String entry : new TreeSet<>(entries.keySet())) {
      List<String> at = append(section, entry);
      ConfigValue value = entries.get(entry);
      if (besideSection.containsKey(entry)) {
        List<String> meant = append(section.subList(0, section.size() - 1), entry);
        throw ConfigRefused.setting(ConfigUtil.joinPath(at), value, "is inside " + section.get(section.size() - 1)
            + " { }: " + ConfigUtil.joinPath(meant) + " is a setting beside it, not inside it");
      }
      if (!kind.accepts(value)) throw ConfigRefused.setting(ConfigUtil.joinPath(at), value, "is not " + kind.description);
      if (entryDefaults instanceof ConfigObject defaults) {
        ConfigObject settings = (ConfigObject) value;
        for (String key : new TreeSet<>(settings.keySet())) {
          if (defaults.containsKey(key)) requireKind(append(at, key), settings.get(key), defaults.get(key), false);
        }
      }
    }
  }

  private static SettingKind requireKind(List<String> at, ConfigValue value, ConfigValue byDefault, boolean pekkoDefaults) {
    SettingKind kind = SettingKind.of(at.get(at.size() - 1), byDefault, pekkoDefaults);
    if (pekkoDefaults || !at.get(0).equals("lims")) kind = kind.readByALibrary();
    if (!kind.accepts(value)) {
      throw ConfigRefused.setting(ConfigUtil.joinPath(at), value,
          "is not " + kind.description + " (the default is " + ConfigRefused.shown(ConfigUtil.joinPath(at), byDefault) + ")");
    }
    return kind;
  }

  /** A near miss among the section's settings, else a setting of that name elsewhere (misplaced), else what the section has. */
  private ConfigRefused unknown(List<String> section, String key, ConfigValue value, ConfigObject siblings) {
    Optional<String> meant = ConfigRefused.closest(key, siblings.keySet()).map(k -> ConfigUtil.joinPath(append(section, k)));
    if (meant.isEmpty()) {
      Set<String> sameName = new TreeSet<>();
      collectPaths(List.of("lims"), (ConfigObject) reference.get("lims"), key, sameName);
      if (!sameName.isEmpty()) meant = Optional.of(String.join(" or ", sameName));
    }
    String hint = meant.map(m -> "; did you mean " + m + "?")
        .orElse("; " + ConfigUtil.joinPath(section) + " has " + String.join(", ", new TreeSet<>(siblings.keySet())));
    return ConfigRefused.setting(ConfigUtil.joinPath(append(section, key)), value, "is not a setting" + hint);
  }

  /** Every setting or section of the reference named {@code key}, wherever it is. */
  private static void collectPaths(List<String> path, ConfigObject section, String key, Set<String> found) {
    for (var e : section.entrySet()) {
      List<String> at = append(path, e.getKey());
      if (e.getKey().equals(key)) found.add(ConfigUtil.joinPath(at));
      if (e.getValue() instanceof ConfigObject inner) collectPaths(at, inner, key, found);
    }
  }

  private static boolean isDispatcher(ConfigObject section) {
    ConfigValue type = section.get("type");
    return type != null && "Dispatcher".equals(type.unwrapped());
  }

  private static List<String> append(List<String> path, String key) {
    List<String> longer = new ArrayList<>(path);
    longer.add(key);
    return longer;
  }
}
