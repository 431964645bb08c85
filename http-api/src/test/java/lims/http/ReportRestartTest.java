package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A node stopped in the middle of a render: its job is rendered by the node that comes up
 * next on the same database, once — one stored version, one report_rendered — and the
 * interrupted render counts as a try.
 */
@Tag("database")
class ReportRestartTest {

  @Test
  void aReportInterruptedByANodeStopIsRenderedOnceByTheNextNode() throws Exception {
    Map<String, Object> database = TestDatabase.fresh("report_restart");
    Map<String, Object> settings = new HashMap<>();
    settings.put("lims.reports.render.poll-interval", "200ms");
    settings.put("lims.reports.limits.max-pages", 2000);
    String specimenId;
    try (TestNode first = TestNode.start(database, settings)) {
      LabFlow lab = new LabFlow(first);
      // Thousands of result rows: a report of some seventy pages, which takes seconds to render.
      specimenId = lab.approved(lab.client("restart@clinic.example"), List.of(), manyResults(3000));
      first.eventually(() -> {
        JsonNode pending = lab.reports(specimenId).get("pending");
        assertEquals(1, pending.size(), pending.toString());
        assertEquals("rendering", pending.get(0).get("status").asText());
      });
    } // stopped mid-render: it lets go of the job
    try (TestNode second = TestNode.start(database, settings)) {
      String admin = second.adminToken();
      second.eventually(Duration.ofMinutes(2),
          () -> assertEquals("REPORTED", second.api.get("/api/v1/specimens/" + specimenId, admin).json().get("state").asText()));
      JsonNode reports = second.api.get("/api/v1/specimens/" + specimenId + "/reports", admin).json();
      assertEquals(1, reports.get("reports").size(), "stored once: " + reports);
      assertEquals(1, reports.get("reports").get(0).get("version").asInt());
      byte[] pdf = second.api.download(reports.get("reports").get(0).get("pdf_url").asText(), admin);
      assertTrue(reports.get("reports").get(0).get("pages").asInt() > 40, reports + "\n" + lims.reporting.render.PdfReading.text(pdf));
      assertEquals(0, reports.get("pending").size(), reports.toString());
      assertEquals(2, second.count("SELECT attempts FROM report_job WHERE specimen_ids = ?", specimenId), "the interrupted render was a try");
      long rendered = 0;
      for (JsonNode entry : second.api.get("/api/v1/specimens/" + specimenId + "/history", admin).json()) {
        if (entry.get("action").asText().equals("report_rendered")) rendered++;
      }
      assertEquals(1, rendered);
    }
  }

  private static String manyResults(int rows) {
    StringBuilder json = new StringBuilder("{\"status\":\"succeeded\",\"results\":[");
    for (int i = 0; i < rows; i++) {
      if (i > 0) json.append(',');
      json.append("{\"test\":\"Analyte ").append(i).append("\",\"value\":").append(i % 97).append(".5,\"unit\":\"mg/L\"}");
    }
    return json.append("]}").toString();
  }
}
