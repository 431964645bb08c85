package lims.kernel;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * The cursor of a list ordered by an instant, then an id: the last row's two keys exactly as
 * read back from the table (an {@link Instant}'s text keeps all its digits), so no row is read
 * twice or skipped.
 * Opaque to clients: URL-safe Base64.
 */
public record KeysetCursor(Instant at, String id) {

  /** Ids are short printable text; anything else is not from a page (and a NUL would not even reach the database). */
  private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[\\x21-\\x7e]{1,200}");

  public String encode() {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((at + "|" + id).getBytes(StandardCharsets.UTF_8));
  }

  /** IllegalArgumentException when {@code text} is not a cursor {@link #encode} wrote. */
  public static KeysetCursor decode(String text) {
    String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8).split("\\|", 2);
    if (parts.length != 2 || !ID.matcher(parts[1]).matches()) throw new IllegalArgumentException("not a cursor");
    return new KeysetCursor(Instants.parse(parts[0]), parts[1]);
  }
}
