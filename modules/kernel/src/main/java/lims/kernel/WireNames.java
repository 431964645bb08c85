package lims.kernel;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** How enumerations are spelled on the wire (docs/api.md, Paths and spelling): the constant's name in lower case. */
public final class WireNames {

  private WireNames() {}

  public static String of(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  public static <E extends Enum<E>> Optional<E> parse(Class<E> type, String wireName) {
    return Arrays.stream(type.getEnumConstants()).filter(e -> of(e).equals(wireName)).findFirst();
  }

  /** "a, b, c": every wire name of the type, for error messages. */
  public static <E extends Enum<E>> String list(Class<E> type) {
    return Arrays.stream(type.getEnumConstants()).map(WireNames::of).collect(Collectors.joining(", "));
  }
}
