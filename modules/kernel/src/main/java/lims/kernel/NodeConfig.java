package lims.kernel;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigResolver;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads a node's configuration: the mode overlay from cluster-config (embedded.conf,
 * cluster.conf, test.conf) under command-line overrides, with -D system properties and
 * environment variables (named in the .conf files) applied as HOCON resolves them, and the
 * pipelines file merged in. The result is checked before it is returned ({@link ConfigCheck}):
 * a node never starts on a setting it would ignore or misread.
 */
public final class NodeConfig {

  public static final Set<String> MODES = Set.of("embedded", "cluster", "test");

  /** How a value taken from the environment names its origin, so a refusal can name the variable. */
  static final String FROM_VARIABLE = "environment variable ";

  /** Exit status of a node that refused its configuration (1 is any other failure to start). */
  public static final int REFUSED = 2;

  private NodeConfig() {}

  public static Config load(String mode, Map<String, ?> overrides) {
    return load(mode, overrides, System.getenv());
  }

  /** With the environment variables given (a test's), in place of the process's. */
  public static Config load(String mode, Map<String, ?> overrides, Map<String, String> environment) {
    if (!MODES.contains(mode)) {
      throw new IllegalArgumentException("unknown mode '" + mode + "'; expected one of " + MODES);
    }
    Config overlay = ConfigFactory.parseResources(mode + ".conf");
    if (overlay.isEmpty()) {
      throw new IllegalStateException(mode + ".conf is not on the classpath (module cluster-config)");
    }
    ConfigResolveOptions resolving = ConfigResolveOptions.noSystem().appendResolver(new Environment(environment));
    Config node = ConfigFactory.load(Thread.currentThread().getContextClassLoader(),
        ConfigFactory.parseMap(overrides).withFallback(overlay), resolving);
    // The known variables are those the overlay's files read, and those the lab's pipelines file reads.
    Set<String> variables = new TreeSet<>(ConfigCheck.variablesRead(overlay));
    Optional<Config> pipelinesFile = PipelinesFile.named(node);
    if (pipelinesFile.isPresent()) {
      node = PipelinesFile.mergeInto(node, pipelinesFile.get(), resolving);
      variables.addAll(ConfigCheck.variablesRead(pipelinesFile.get()));
    }
    ConfigCheck.of(node, variables).check(node, environment);
    DatabaseLease.check(node);
    return AppVersion.applied(node);
  }

  /**
   * For a node's main method, given what stopped its start: a refused configuration (this
   * check's, or a value a getter could not read) is printed as its one-line message on
   * standard error and ends with {@link #REFUSED}; anything else is thrown on, for its stack trace.
   */
  public static int refusedStart(Exception failure) throws Exception {
    Optional<String> refusal = refusal(failure);
    if (refusal.isEmpty()) throw failure;
    System.err.println(refusal.get());
    return REFUSED;
  }

  /** The one line of a refused configuration, if that is what stopped the start: this check's, or a value a getter could not read. */
  public static Optional<String> refusal(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConfigRefused) return Optional.of(t.getMessage());
      if (t instanceof ConfigException) return Optional.of(ConfigRefused.REFUSING + t.getMessage());
    }
    return Optional.empty();
  }

  /** ${?VAR} from the given variables; each value says which variable it came from. */
  private record Environment(Map<String, String> variables) implements ConfigResolver {
    @Override
    public ConfigValue lookup(String name) {
      String value = variables.get(name);
      return value == null ? null : ConfigValueFactory.fromAnyRef(value, FROM_VARIABLE + name);
    }

    @Override
    public ConfigResolver withFallback(ConfigResolver fallback) {
      Environment first = this;
      return new ConfigResolver() {
        @Override
        public ConfigValue lookup(String name) {
          ConfigValue value = first.lookup(name);
          return value != null ? value : fallback.lookup(name);
        }

        @Override
        public ConfigResolver withFallback(ConfigResolver next) {
          return first.withFallback(fallback.withFallback(next));
        }
      };
    }
  }
}
