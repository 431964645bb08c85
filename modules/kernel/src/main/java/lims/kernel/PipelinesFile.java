package lims.kernel;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The file named by {@code lims.analysis.pipelines-file} ({@code LIMS_PIPELINES_FILE}): the
 * lab's pipelines, kept apart from the node's configuration. It holds the three settings of
 * {@code lims.analysis} that describe pipelines, written without that prefix, and they are
 * read from it as from the node's configuration. Anything else in it refuses the start (a
 * setting there would otherwise be ignored), and so does a pipeline, a test's pipeline or
 * the default pipeline given both there and in the node's configuration: which one counts
 * is not something a lab should have to know.
 */
final class PipelinesFile {

  static final List<String> SETTINGS = List.of("pipelines", "pipeline-for-test", "default-pipeline");

  private static final String SECTION = "lims.analysis";
  private static final String NAMED_BY = SECTION + ".pipelines-file";

  private PipelinesFile() {}

  /** The file the node's configuration names, as written (unresolved), or none when it names none. */
  static Optional<Config> named(Config node) {
    String name = node.getString(NAMED_BY);
    if (name.isBlank()) return Optional.empty();
    File file = new File(name);
    if (!file.isFile() || !file.canRead()) {
      throw ConfigRefused.setting(NAMED_BY, node.getValue(NAMED_BY), "names a file that cannot be read");
    }
    try {
      return Optional.of(ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false)));
    } catch (ConfigException e) {
      throw unreadable(e);
    }
  }

  /** The node's configuration with the file's settings merged in. */
  static Config mergeInto(Config node, Config file, ConfigResolveOptions resolving) {
    Config fromFile;
    try {
      fromFile = file.resolve(resolving);
    } catch (ConfigException e) {
      throw unreadable(e);
    }
    Config analysis = node.getConfig(SECTION);
    for (String key : new TreeSet<>(fromFile.root().keySet())) {
      ConfigValue value = fromFile.root().get(key);
      if (!SETTINGS.contains(key)) throw notInTheFile(key, value, analysis);
      refuseTwice(key, value, analysis.getValue(key));
    }
    return fromFile.atPath(SECTION).withFallback(node);
  }

  private static ConfigRefused unreadable(ConfigException e) {
    return new ConfigRefused(ConfigRefused.REFUSING + NAMED_BY + ": " + e.getMessage());
  }

  private static ConfigRefused notInTheFile(String key, ConfigValue value, Config analysis) {
    String holds = " (the pipelines file holds only " + String.join(", ", SETTINGS) + ", without the prefix " + SECTION + ")";
    if (key.equals("lims")) return ConfigRefused.setting(key, value, "is a prefix the pipelines file does not use" + holds);
    if (analysis.hasPath(key)) {
      return ConfigRefused.setting(key, value, "is read from the node's configuration (" + SECTION + "." + key + "), not from the pipelines file" + holds);
    }
    return ConfigRefused.setting(key, value, "is not a setting"
        + ConfigRefused.closest(key, SETTINGS).map(k -> "; did you mean " + k + "?").orElse("") + holds);
  }

  /** The same pipeline, test or default in the file and in the node's configuration, with different values. */
  private static void refuseTwice(String key, ConfigValue inFile, ConfigValue inNode) {
    if (inFile instanceof ConfigObject fileEntries && inNode instanceof ConfigObject nodeEntries) {
      for (String entry : new TreeSet<>(fileEntries.keySet())) {
        ConfigValue nodeEntry = nodeEntries.get(entry);
        if (nodeEntry != null && !Objects.equals(nodeEntry.unwrapped(), fileEntries.get(entry).unwrapped())) {
          throw twice(SECTION + "." + ConfigUtil.joinPath(key, entry), fileEntries.get(entry), nodeEntry);
        }
      }
    } else if (!"".equals(inNode.unwrapped()) && !Objects.equals(inNode.unwrapped(), inFile.unwrapped())) {
      throw twice(SECTION + "." + key, inFile, inNode);
    }
  }

  private static ConfigRefused twice(String path, ConfigValue inFile, ConfigValue inNode) {
    return ConfigRefused.setting(path, inFile,
        "is also set, differently, in the node's configuration: " + ConfigRefused.describe(path, inNode) + "; set it in one place");
  }
}
