package lims.reporting.mail;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.time.Duration;
import java.time.Instant;
import lims.reporting.testing.MailServer;
import lims.reporting.testing.SilentServer;
import lims.reporting.testing.StoredReports;
import org.junit.jupiter.api.Test;

/** The mailer against a real SMTP server, one that is down, and one that never answers. */
class MailerTest {

  private static MailSettings plain(int port, Duration timeout) {
    return new MailSettings("127.0.0.1", port, MailSettings.Tls.NONE, "", "", "reports@lab.example", timeout, timeout, timeout);
  }

  private static Letter letter(byte[] pdf) {
    return new Letter("<R-1.v2.abc@lab.example>", "dr.who@clinic.example", "Report R-1 v2 · client ACME · SP-2026-000001",
        "attached", "R-1-v2.pdf", pdf);
  }

  @Test
  void theServerAcceptsTheLetterWithItsMessageIdAndTheAttachmentAsGiven() throws Exception {
    byte[] pdf = StoredReports.pdf("R-1");
    try (MailServer server = MailServer.start()) {
      String reply = new Mailer(plain(server.port(), Duration.ofSeconds(5))).send(letter(pdf), Instant.now());

      assertTrue(reply.startsWith("250"), reply);
      MimeMessage received = server.receivedBy("dr.who@clinic.example").get(0);
      assertEquals("<R-1.v2.abc@lab.example>", received.getMessageID());
      assertEquals("Report R-1 v2 · client ACME · SP-2026-000001", received.getSubject());
      assertEquals("reports@lab.example", received.getFrom()[0].toString());
      Part attachment = ((MimeMultipart) received.getContent()).getBodyPart(1);
      assertEquals("R-1-v2.pdf", attachment.getFileName());
      assertTrue(attachment.getContentType().startsWith("application/pdf"), attachment.getContentType());
      assertArrayEquals(pdf, attachment.getInputStream().readAllBytes());
    }
  }

  @Test
  void aServerThatIsDownIsATransientFailure() throws Exception {
    int port;
    try (MailServer server = MailServer.start()) {
      port = server.port();
    }
    MailFailure failure = assertThrows(MailFailure.class,
        () -> new Mailer(plain(port, Duration.ofSeconds(5))).send(letter(StoredReports.pdf("R-1")), Instant.now()));
    assertFalse(failure.permanent(), failure.getMessage());
  }

  @Test
  void aServerThatAcceptsTheConnectionButNeverAnswersIsGivenUpAfterTheTimeout() throws Exception {
    try (SilentServer silent = new SilentServer()) {
      long start = System.nanoTime();
      MailFailure failure = assertThrows(MailFailure.class,
          () -> new Mailer(plain(silent.port(), Duration.ofMillis(500))).send(letter(StoredReports.pdf("R-1")), Instant.now()));
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertFalse(failure.permanent());
      assertTrue(failure.getMessage().toLowerCase().contains("timed out"), failure.getMessage());
      assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "bounded by the 500 ms timeout, took " + took);
    }
  }

  @Test
  void everyWaitOfTheProtocolInUseIsBounded() {
    MailSettings smtps = new MailSettings("mx.example", 465, MailSettings.Tls.SMTPS, "u", "p", "r@lab.example", Duration.ofSeconds(1),
        Duration.ofSeconds(2), Duration.ofSeconds(3));
    var properties = Mailer.properties(smtps);
    assertEquals("1000", properties.getProperty("mail.smtps.connectiontimeout"));
    assertEquals("2000", properties.getProperty("mail.smtps.timeout"));
    assertEquals("3000", properties.getProperty("mail.smtps.writetimeout"));
    var starttls = Mailer.properties(new MailSettings("mx.example", 587, MailSettings.Tls.STARTTLS, "", "", "r@lab.example",
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(3)));
    assertEquals("2000", starttls.getProperty("mail.smtp.timeout"));
    assertEquals("true", starttls.getProperty("mail.smtp.starttls.required"));
  }
}
