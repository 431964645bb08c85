package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class InstantsTest {

  @Test
  void readsInstantsTheTablesCanHoldAndRefusesTheRest() {
    assertEquals(Instant.parse("2026-11-23T08:00:00.123456789Z"), Instants.parse("2026-11-23T08:00:00.123456789Z"));
    assertEquals(Instant.parse("9999-12-31T23:59:59Z"), Instants.parse("9999-12-31T23:59:59Z"));
    for (String text : new String[] {"yesterday", "2026-11-23", "+10000-01-01T00:00:00Z", "+1000000000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"}) {
      assertThrows(IllegalArgumentException.class, () -> Instants.parse(text), text);
    }
  }
}
