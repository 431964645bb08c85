package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class KeysetCursorTest {

  @Test
  void aCursorComesBackWithEveryNanosecondOfItsInstantAndItsId() {
    for (Instant at : new Instant[] {Instant.parse("2026-03-29T01:00:00Z"), Instant.parse("2026-03-29T01:00:00.000000001Z"),
        Instant.parse("2026-11-23T08:15:30.123456789Z")}) {
      KeysetCursor cursor = new KeysetCursor(at, "LT-0123456789ab|with-a-bar");
      assertEquals(cursor, KeysetCursor.decode(cursor.encode()));
    }
  }

  @Test
  void textThatIsNotACursorIsRefused() {
    for (String text : new String[] {"garbage!", "", encode("2026-11-23T08:00:00Z"), encode("2026-11-23T08:00:00Z|"), encode("yesterday|x"),
        encode("+1000000000-01-01T00:00:00Z|x"), encode("-0001-01-01T00:00:00Z|x"), encode("2026-11-23T08:00:00Z|LT-\u0000"),
        encode("2026-11-23T08:00:00Z|" + "x".repeat(201))}) {
      assertThrows(IllegalArgumentException.class, () -> KeysetCursor.decode(text), text);
    }
  }

  private static String encode(String raw) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }
}
