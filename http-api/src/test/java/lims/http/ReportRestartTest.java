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

  @Test
  void aLabTurningOnAutomaticReportsGetsNoReportsForSpecimensItReportedBefore() throws Exception {
    Map<String, Object> database = TestDatabase.fresh("report_upgrade");
    String delivered;
    try (TestNode before = TestNode.start(database, Map.of("lims.reports.automatic", false))) {
      LabFlow lab = new LabFlow(before);
      delivered = lab.approved(lab.client("before@clinic.example"), List.of(), ReportApiTest.RESULTS);
      lab.act(delivered, lab.admin, "report_rendered", "");
      lab.act(delivered, lab.tech, "deliver", "");
    }
    try (TestNode after = TestNode.start(database, Map.of("lims.reports.render.poll-interval", "200ms"))) {
      LabFlow lab = LabFlow.again(after);
      // A specimen approved now is reported: the reaction has read the journal past the old one by then.
      String id = lab.approved(lab.specimen(delivered).get("client_id").asText(), List.of(), ReportApiTest.RESULTS);
      after.eventually(() -> assertEquals("REPORTED", lab.specimen(id).get("state").asText()));
      // And the reaction has read past every event of the old specimen, on its own tag.
      after.eventually(() -> assertEquals(1, after.count("SELECT COUNT(*) FROM \"pekko_projection_offset_store\" o WHERE o.\"projection_name\" = 'report-triggers' "
          + "AND o.\"projection_key\" = (SELECT t.\"tag\" FROM \"event_tag\" t JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\" "
          + "WHERE j.\"persistence_id\" = ? FETCH FIRST 1 ROWS ONLY) AND CAST(o.\"current_offset\" AS BIGINT) >= "
          + "(SELECT MAX(\"ordering\") FROM \"event_journal\" WHERE \"persistence_id\" = ?)", "Specimen|" + delivered, "Specimen|" + delivered)));
      assertEquals(0, after.count("SELECT COUNT(*) FROM report_job WHERE specimen_ids = ?", delivered), "nothing queued for the old specimen");
      assertEquals("DELIVERED", lab.specimen(delivered).get("state").asText());
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
