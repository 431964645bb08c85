package lims.http;

import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import lims.reporting.render.PdfReading;
import lims.reporting.render.WorkbookReading;
import lims.reporting.testing.MailServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The end of a specimen's life through the API, with a real SMTP server: approved → report
 * rendered without anyone asking → e-mailed to each recipient with the stored PDF →
 * DELIVERED with the message ids in its history. Batch reports, new versions, who may read
 * a report, and bad input.
 */
@Tag("database")
class ReportApiTest {

  static MailServer mail;
  static TestNode node;
  static LabFlow lab;
  static String tech;

  @BeforeAll
  static void start() {
    mail = MailServer.start();
    Map<String, Object> settings = new HashMap<>(mail.nodeSettings());
    settings.put("lims.reports.render.poll-interval", "200ms");
    node = TestNode.start(TestDatabase.fresh("report_api"), settings);
    lab = new LabFlow(node);
    tech = lab.tech;
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (mail != null) mail.close();
  }

  @Test
  void anApprovedSpecimenIsReportedAndEmailedToEachRecipientWithTheStoredPdf() throws Exception {
    String client = lab.client("olga@clinic.example");
    String id = lab.approved(client, List.of("ward@clinic.example"), RESULTS);

    node.eventually(() -> assertEquals("DELIVERED", lab.specimen(id).get("state").asText()));
    JsonNode reports = node.api.get("/api/v1/specimens/" + id + "/reports", tech).json();
    assertEquals(1, reports.get("reports").size(), reports.toString());
    JsonNode report = reports.get("reports").get(0);
    String reportId = report.get("report_id").asText();
    assertEquals(1, report.get("version").asInt());
    assertEquals(client, report.get("client_id").asText());
    assertEquals(List.of("olga@clinic.example", "ward@clinic.example"), strings(report.get("recipients")), "report contacts, then the specimen's own");

    byte[] pdf = node.api.download(report.get("pdf_url").asText(), tech);
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(pdf));
    assertEquals(report.get("pdf_sha256").asText(), sha256);
    ApiClient.Reply head = node.api.get("/api/v1/reports/" + reportId + "/pdf", tech);
    assertEquals("application/pdf", head.contentType());
    assertEquals("sha-256=" + sha256, head.header("Digest"));

    // The chain of custody records the report by its hash, then its delivery by message ids.
    List<JsonNode> history = lab.history(id);
    JsonNode rendered = history.get(history.size() - 2);
    assertEquals("report_rendered", rendered.get("action").asText());
    assertEquals(reportId, rendered.get("data").get("report_id").asText());
    assertEquals(sha256, rendered.get("data").get("pdf_sha256").asText());
    JsonNode delivered = history.get(history.size() - 1);
    assertEquals("deliver", delivered.get("action").asText());
    List<String> messageIds = new ArrayList<>();
    delivered.get("data").get("message_ids").forEach(m -> messageIds.add(m.asText()));

    for (String recipient : List.of("olga@clinic.example", "ward@clinic.example")) {
      List<MimeMessage> received = mail.receivedBy(recipient);
      assertEquals(1, received.size(), recipient);
      assertTrue(received.get(0).getSubject().contains(client) && received.get(0).getSubject().contains(id), received.get(0).getSubject());
      assertTrue(messageIds.contains(received.get(0).getMessageID()));
      assertArrayEquals(pdf, ((MimeMultipart) received.get(0).getContent()).getBodyPart(1).getInputStream().readAllBytes());
    }
    assertEquals(0, mail.receivedBy("no-reports@clinic.example").size(), "a contact who receives no reports gets none");

    // What the report says: the specimen, its results and who approved them; the barcode scans.
    String text = PdfReading.text(pdf);
    for (String expected : List.of(id, "Haemoglobin", "13.2", "g/dL", "rita", client)) assertTrue(text.contains(expected), expected + " in " + text);
    assertEquals(List.of(lab.specimen(id).get("barcode").asText()), PdfReading.barcodes(pdf));
    byte[] xlsx = node.api.download(report.get("xlsx_url").asText(), tech);
    String cells = WorkbookReading.rows(xlsx, "Results").toString();
    assertTrue(cells.contains("Haemoglobin") && cells.contains("13.2") && cells.contains("'=HYPERLINK"), cells);
  }

  @Test
  void aTestBatchIsReportedOnceWhenItsLastSpecimenIsApproved() {
    String client = lab.client("batch@clinic.example");
    String first = lab.inReview(client, List.of(), RESULTS);
    String second = lab.inReview(client, List.of(), RESULTS);
    ApiClient.Reply batch = node.api.post("/api/v1/test-batches", tech,
        "{\"batch_key\":\"rb-" + client + "\",\"test_code\":\"CBC\",\"specimen_ids\":[\"" + first + "\",\"" + second + "\"]}");
    assertTrue(batch.status() == 201 || batch.status() == 200, batch.body());
    node.eventually(() -> assertEquals(2, node.count("SELECT COUNT(*) FROM batch_member WHERE batch_key = ?", "rb-" + client)));
    lab.approve(first);
    lab.approve(second);

    node.eventually(() -> {
      assertEquals("DELIVERED", lab.specimen(first).get("state").asText());
      assertEquals("DELIVERED", lab.specimen(second).get("state").asText());
    });
    JsonNode reports = node.api.get("/api/v1/specimens/" + first + "/reports", tech).json().get("reports");
    assertEquals(1, reports.size(), reports.toString());
    assertEquals(List.of(first, second), strings(reports.get(0).get("specimen_ids")));
    assertEquals("rb-" + client, reports.get(0).get("batch_key").asText());
    assertEquals(1, node.count("SELECT COUNT(*) FROM report_job WHERE specimen_ids LIKE ?", "%" + first + "%"), "one job for the batch");
    assertEquals(1, mail.receivedBy("batch@clinic.example").size(), "one message for the batch");
  }

  @Test
  void aNewVersionIsRenderedOnRequestAndEveryVersionStaysDownloadable() {
    String id = lab.approved(lab.client("versions@clinic.example"), List.of(), RESULTS);
    node.eventually(() -> assertEquals("DELIVERED", lab.specimen(id).get("state").asText()));
    JsonNode first = node.api.get("/api/v1/specimens/" + id + "/reports", tech).json().get("reports").get(0);
    String reportId = first.get("report_id").asText();
    byte[] v1 = node.api.download("/api/v1/reports/" + reportId + "/pdf?version=1", tech);

    ApiClient.Reply again = node.api.post("/api/v1/reports/" + reportId + "/versions", lab.reviewer, "{}");
    assertEquals(202, again.status(), again.body());
    node.eventually(() -> assertEquals(2, node.api.get("/api/v1/reports/" + reportId, tech).json().get("latest_version").asInt()));
    JsonNode report = node.api.get("/api/v1/reports/" + reportId, tech).json();
    assertEquals(List.of(2, 1), List.of(report.get("versions").get(0).get("version").asInt(), report.get("versions").get(1).get("version").asInt()));
    assertArrayEquals(v1, node.api.download("/api/v1/reports/" + reportId + "/pdf?version=1", tech), "version 1 is unchanged");
    assertNotEquals(report.get("versions").get(0).get("pdf_sha256").asText(), first.get("pdf_sha256").asText());
    assertTrue(PdfReading.text(node.api.download("/api/v1/reports/" + reportId + "/pdf", tech)).contains("v2"));
    node.eventually(() -> assertEquals(2, mail.receivedBy("versions@clinic.example").size(), "the new version is sent too"));
    assertEquals("DELIVERED", lab.specimen(id).get("state").asText());
  }

  @Test
  void aReportAskedForAgainWithTheSameIdempotencyKeyIsQueuedOnce() {
    String id = lab.approved(lab.client("again@clinic.example"), List.of(), RESULTS);
    node.eventually(() -> assertEquals(1, lab.reports(id).get("reports").size()));
    String body = "{\"specimen_ids\":[\"" + id + "\"]}";
    Map<String, String> headers = Map.of("Content-Type", "application/json", "Idempotency-Key", "again-" + id);
    ApiClient.Reply first = node.api.send("POST", "/api/v1/reports", tech, body, headers);
    ApiClient.Reply repeat = node.api.send("POST", "/api/v1/reports", tech, body, headers);
    assertEquals(202, first.status(), first.body());
    assertEquals(202, repeat.status(), repeat.body());
    assertEquals(first.json().get("job_id").asLong(), repeat.json().get("job_id").asLong(), "the repeat answers the same job");
    String other = lab.approved(lab.client("again2@clinic.example"), List.of(), RESULTS);
    problem(node.api.send("POST", "/api/v1/reports", tech, "{\"specimen_ids\":[\"" + other + "\"]}", headers), 422);
    String reportId = first.json().get("report_id").asText();
    node.eventually(() -> assertEquals(1, node.api.get("/api/v1/reports/" + reportId, tech).json().get("latest_version").asInt()));
    assertEquals(1, node.count("SELECT COUNT(*) FROM report WHERE report_id = ?", reportId), "rendered once");
  }

  @Test
  void aViewerLinkedToAnotherClientCannotFindTheReport() {
    String client = lab.client("scoped@clinic.example");
    String other = lab.client("other@clinic.example");
    String id = lab.approved(client, List.of(), RESULTS);
    node.eventually(() -> assertEquals(1, node.api.get("/api/v1/specimens/" + id + "/reports", tech).json().get("reports").size()));
    String reportId = node.api.get("/api/v1/specimens/" + id + "/reports", tech).json().get("reports").get(0).get("report_id").asText();
    String outsider = lab.viewer("outsider-" + other.toLowerCase(), other);
    String insider = lab.viewer("insider-" + client.toLowerCase(), client);
    problem(node.api.get("/api/v1/reports/" + reportId, outsider), 404);
    problem(node.api.get("/api/v1/reports/" + reportId + "/pdf", outsider), 404);
    problem(node.api.get("/api/v1/specimens/" + id + "/reports", outsider), 404);
    assertEquals(200, node.api.get("/api/v1/reports/" + reportId, insider).status());
    assertTrue(node.api.download("/api/v1/reports/" + reportId + "/pdf", insider).length > 1000);
  }

  @Test
  void badInputIsRefusedWithAProblemNamingTheFieldAndQueuesNothing() {
    String notApproved = lab.registered(lab.client("bad@clinic.example"), List.of());
    long jobs = node.count("SELECT COUNT(*) FROM report_job");
    assertEquals("specimen_ids", problem(node.api.post("/api/v1/reports", tech, "{}"), 400).get("errors").get(0).get("field").asText());
    assertEquals("specimen_ids[0]", problem(node.api.post("/api/v1/reports", tech, "{\"specimen_ids\":[\"SP-1\"]}"), 400)
        .get("errors").get(0).get("field").asText());
    problem(node.api.post("/api/v1/reports", tech, "{\"specimen_ids\":[]}"), 400);
    problem(node.api.post("/api/v1/reports", tech, "{\"specimen_ids\":[\"" + notApproved + "\"],\"x\":1}"), 400);
    assertTrue(problem(node.api.post("/api/v1/reports", tech, "{\"specimen_ids\":[\"SP-2026-999999\"]}"), 404).get("detail").asText()
        .contains("SP-2026-999999"));
    assertTrue(problem(node.api.post("/api/v1/reports", tech, "{\"specimen_ids\":[\"" + notApproved + "\"]}"), 409).get("detail").asText()
        .contains(notApproved));
    problem(node.api.post("/api/v1/reports", lab.scientist, "{\"specimen_ids\":[\"" + notApproved + "\"]}"), 403);
    assertEquals("id", problem(node.api.get("/api/v1/reports/RP-1", tech), 400).get("errors").get(0).get("field").asText());
    problem(node.api.get("/api/v1/reports/RP-2026-999999", tech), 404);
    problem(node.api.get("/api/v1/reports/RP-2026-999999/xlsx", tech), 404);
    problem(node.api.post("/api/v1/reports/RP-2026-999999/versions", tech, "{}"), 404);
    problem(node.api.get("/api/v1/report-jobs?status=lost", tech), 400);
    problem(node.api.get("/api/v1/report-jobs?after=bm90LWEtY3Vyc29y", tech), 400);
    problem(node.api.post("/api/v1/report-jobs/abc/retry", tech, "{}"), 400);
    problem(node.api.post("/api/v1/report-jobs/999999999/retry", tech, "{}"), 404);
    problem(node.api.get("/api/v1/specimens/SP-1/reports", tech), 400);
    problem(node.api.get("/api/v1/specimens/SP-2026-999999/reports", tech), 404);
    assertEquals(jobs, node.count("SELECT COUNT(*) FROM report_job"), "nothing queued");
  }

  static final String RESULTS = "{\"status\":\"succeeded\",\"results\":[{\"test\":\"Haemoglobin\",\"value\":13.2,\"unit\":\"g/dL\","
      + "\"reference\":\"12-16\"},{\"test\":\"WBC\",\"value\":11.8,\"unit\":\"10^9/L\",\"flag\":\"H\"},"
      + "{\"test\":\"=HYPERLINK(\\\"http://x\\\")\",\"value\":\"=1+1\"}]}";

  static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }
}
