package lims.reporting.render;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultRowsTest {

  @Test
  void aResultsListGivesTheRowsAndTheOtherKeysAreRunDetails() {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("status", "succeeded");
    document.put("results", List.of(
        Map.of("test", "Glucose", "value", 5.4, "unit", "mmol/L", "flag", "N", "reference", "3.9–5.5"),
        Map.of("name", "Lead", "value", "< 0.5", "units", "µg/dL", "reference_range", "< 3.5"),
        Map.of("analyte", "Copper", "value", 0.0000001, "interpretation", "L", "range", "0.7–1.4")));
    document.put("instrument", Map.of("model", "ICP-MS 7900"));

    ResultRows.Rows rows = ResultRows.of(document);

    assertEquals(List.of(
        new ResultRow("Glucose", 5.4, "mmol/L", "N", "3.9–5.5"),
        new ResultRow("Lead", "< 0.5", "µg/dL", "", "< 3.5"),
        new ResultRow("Copper", 0.0000001, "", "L", "0.7–1.4")), rows.results());
    assertEquals(List.of(new ResultRow("instrument.model", "ICP-MS 7900", "", "", "")), rows.details());
    assertEquals("0.0000001", rows.results().get(2).valueText(), "no exponent on a report");
    assertEquals(List.of(false, false, true), rows.results().stream().map(ResultRow::abnormal).toList());
  }

  @Test
  void withoutAResultsListEveryKeyButStatusIsAResult() {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("status", "succeeded");
    document.put("ph", 7);
    document.put("qc", Map.of("passed", true));
    document.put("tags", List.of("a", "b"));
    document.put("runs", List.of(Map.of("n", 1)));
    document.put("results", List.of());

    assertEquals(List.of(
        new ResultRow("ph", 7, "", "", ""),
        new ResultRow("qc.passed", "true", "", "", ""),
        new ResultRow("tags", "a, b", "", "", ""),
        new ResultRow("runs[0].n", 1, "", "", ""),
        new ResultRow("results", "", "", "", "")), ResultRows.of(document).results());
    assertEquals(List.of(), ResultRows.of(document).details());
  }
}
