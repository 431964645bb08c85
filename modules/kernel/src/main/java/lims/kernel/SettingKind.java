package lims.kernel;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.Locale;
import java.util.Set;

/**
 * What a setting's value must be, read off its default in the shipped configuration: a value
 * is accepted when the getter the code uses for such a default (getBoolean, getInt,
 * getDuration, getBytes, ...) reads it as meant.
 *
 * <p>Two readings are stricter than the getters, because the getters' leniency is how a lab
 * gets a wrong run without a word: a duration needs its unit ({@code getDuration} reads a
 * bare {@code 15} as 15 ms, so {@code LIMS_SSH_TIMEOUT=15} would fail every dispatch), and a
 * whole number must be whole ({@code getInt} reads {@code 12.5} as 12). A default such as
 * {@code 1m} reads both as a duration (a minute) and as a size (a mebibyte): a setting
 * whose name ends in {@code -size} is a size, any other a duration.
 */
enum SettingKind {
  BOOLEAN("true or false (on/off, yes/no)"),
  WHOLE_NUMBER("a whole number"),
  NUMBER("a number"),
  DURATION("a duration with its unit, such as 500ms, 30s, 5m or 12h"),
  /** A duration a library reads: Pekko and pekko-http take a word for "never" in some of theirs. */
  LIBRARY_DURATION("a duration with its unit, such as 500ms, 30s, 5m or 12h, or off, none or infinite"),
  SIZE("a size such as 1048576, 256KiB or 8m"),
  TEXT("text"),
  LIST("a list [ ... ]"),
  SECTION("a section { ... }"),
  ANYTHING("anything");

  /**
   * The words Pekko reads as "never" in place of a duration: {@code off}
   * (shutdown-after-unsuccessful-join-seed-nodes), {@code none} or {@code off} (a passivation
   * idle timeout), {@code infinite} (pekko-http's request-timeout). Where a setting takes none
   * of them, Pekko itself refuses the word when it starts.
   */
  private static final Set<String> NEVER = Set.of("off", "none", "infinite");

  final String description;

  SettingKind(String description) {
    this.description = description;
  }

  /**
   * The kind of a setting named {@code key} whose default is {@code byDefault}. With
   * {@code anyNumber}, every numeric default is a number: for sections Pekko reads (a
   * dispatcher), whose getters this code does not know.
   */
  /** The kind when a library, not this code, reads the setting: its durations may be a word for "never". */
  SettingKind readByALibrary() {
    return this == DURATION ? LIBRARY_DURATION : this;
  }

  static SettingKind of(String key, ConfigValue byDefault, boolean anyNumber) {
    return switch (byDefault.valueType()) {
      case OBJECT -> SECTION;
      case LIST -> LIST;
      case NULL -> ANYTHING;
      case BOOLEAN -> BOOLEAN;
      case NUMBER -> anyNumber || !isWhole(byDefault.unwrapped()) ? NUMBER : WHOLE_NUMBER;
      case STRING -> ofText(key, byDefault);
    };
  }

  /** Text that reads as a boolean, a duration or a size is one (on, 5s, 256KiB); other text is text. */
  private static SettingKind ofText(String key, ConfigValue byDefault) {
    if (BOOLEAN.accepts(byDefault)) return BOOLEAN;
    boolean duration = DURATION.accepts(byDefault);
    boolean size = SIZE.accepts(byDefault) && !WHOLE_NUMBER.accepts(byDefault);
    if (duration && size) return key.endsWith("-size") ? SIZE : DURATION;
    return duration ? DURATION : size ? SIZE : TEXT;
  }

  boolean accepts(ConfigValue value) {
    Config one = ConfigFactory.empty().withValue("v", value);
    ConfigValueType type = value.valueType();
    try {
      switch (this) {
        case BOOLEAN -> one.getBoolean("v");
        case WHOLE_NUMBER -> {
          return isWhole(one.getNumber("v"));
        }
        case NUMBER -> one.getDouble("v");
        case DURATION -> {
          one.getDuration("v");
          // The unit is a letter at the end: without one, the number would be milliseconds.
          return type == ConfigValueType.STRING && Character.isLetter(lastChar(value));
        }
        case LIBRARY_DURATION -> {
          return DURATION.accepts(value)
              || type == ConfigValueType.STRING && NEVER.contains(String.valueOf(value.unwrapped()).strip().toLowerCase(Locale.ROOT));
        }
        case SIZE -> one.getBytes("v");
        case TEXT -> {
          return type == ConfigValueType.STRING || type == ConfigValueType.NUMBER || type == ConfigValueType.BOOLEAN;
        }
        case LIST -> {
          return type == ConfigValueType.LIST;
        }
        case SECTION -> {
          return type == ConfigValueType.OBJECT;
        }
        case ANYTHING -> {
          return true;
        }
      }
      return true;
    } catch (ConfigException e) {
      return false;
    }
  }

  private static boolean isWhole(Object number) {
    return number instanceof Integer || number instanceof Long;
  }

  private static char lastChar(ConfigValue value) {
    String text = String.valueOf(value.unwrapped()).strip();
    return text.isEmpty() ? ' ' : text.charAt(text.length() - 1);
  }
}
