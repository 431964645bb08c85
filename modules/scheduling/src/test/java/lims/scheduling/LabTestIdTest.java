package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import lims.analysis.Analysis;
import org.junit.jupiter.api.Test;

/** New lab-test ids: they fit lab_test.id (20 characters) and use all of it for randomness. */
class LabTestIdTest {

  @Test
  void idsFillTheColumnWithRandomHexAndDoNotRepeat() {
    Pattern shape = Pattern.compile("LT-[0-9a-f]{17}");
    Set<String> ids = new HashSet<>();
    Set<Character> firstDigits = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      String id = LabTests.newId();
      assertTrue(shape.matcher(id).matches(), id);
      assertEquals(20, id.length());
      ids.add(id);
      firstDigits.add(id.charAt(3));
    }
    assertEquals(100_000, ids.size());
    // The leading digit carries the top four of the 68 bits: fewer random bits would leave it 0.
    assertEquals(16, firstDigits.size(), firstDigits.toString());
  }

  @Test
  void testsCreatedWithTwelveDigitIdsAreStillAddressable() {
    for (String id : List.of("LT-0123456789ab", LabTests.newId())) {
      assertTrue(LabTest.ID.matcher(id).matches(), id);
      assertEquals(Optional.of(id), LabTestReadModel.labTestOf(id + "-1795478400000"));
      assertTrue(LabTest.EXECUTION_ID.matcher(id + "-1795478400000").matches(), id);
      assertTrue(Analysis.ID.matcher("AN-" + id + "-1795478400000").matches(), id);
    }
    assertFalse(LabTest.ID.matcher("LT-0123456789a").matches());
    assertFalse(LabTest.ID.matcher("LT-0123456789abcdef01").matches());
  }
}
