package lims.kernel;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * The cursor of a list ordered by an instant, then an id: the last row's two keys exactly as
 * read back from the table (an {@link Instant}'s text keeps all its digits), so no row is read
 * twice or skipped.
 * Opaque to clients: URL-safe Base64.
 */
public record KeysetCursor(Instant at, String id) {

  /** Instants a read table can hold on every database the system runs on. */
  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");
  /** Ids are short printable text; anything else is not from a page (and a NUL would not even reach the database). */
  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[\\x21-\\x7e]{1,200}");

  public String encode() {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((at + "|" + id).getBytes(StandardCharsets.UTF_8));
  }

  /** IllegalArgumentException when {@code text} is not a cursor {@link #encode} wrote. */
  public static KeysetCursor decode(String text) {
    String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split("\\|", 2);
    if (parts.length != 2 || !ID.matcher(parts[1]).matches()) throw new IllegalArgumentException("not a cursor");
    Instant at;
    try {
      at = Instant.parse(parts[0]);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not a cursor", e);
    }
    if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) throw new IllegalArgumentException("not a cursor");
    return new KeysetCursor(at, parts[1]);
  }
}
