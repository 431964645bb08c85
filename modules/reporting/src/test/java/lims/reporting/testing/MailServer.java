package lims.reporting.testing;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A real SMTP server for tests (GreenMail) on a free port, which can be stopped and started
 * again on the same port: "the SMTP server is down" and "it is back". Shared with the HTTP
 * tests through the module's test-jar.
 */
public final class MailServer implements AutoCloseable {

  private GreenMail greenMail;
  private final int port;

  private MailServer(GreenMail started) {
    this.greenMail = started;
    this.port = started.getSmtp().getPort();
  }

  public static MailServer start() {
    GreenMail greenMail = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
    greenMail.start();
    return new MailServer(greenMail);
  }

  /** The node's settings that send through this server: plain SMTP on loopback, fast retries. */
  public Map<String, Object> nodeSettings() {
    return Map.of(
        "lims.reports.mail.host", "127.0.0.1",
        "lims.reports.mail.port", port,
        "lims.reports.mail.tls", "none",
        "lims.reports.mail.from", "reports@lab.example",
        "lims.reports.mail.timeout", "5s",
        "lims.reports.delivery.poll-interval", "100ms",
        "lims.reports.delivery.min-backoff", "100ms",
        "lims.reports.delivery.max-backoff", "200ms",
        "lims.reports.delivery.attempts", 3);
  }

  public int port() {
    return port;
  }

  /** Down: connections are refused. */
  public synchronized void stop() {
    greenMail.stop();
  }

  /** Back, on the same port, with an empty mailbox. */
  public synchronized void restart() {
    greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
  }

  public synchronized List<MimeMessage> received() {
    return Arrays.asList(greenMail.getReceivedMessages());
  }

  /** The messages addressed to {@code recipient}. */
  public List<MimeMessage> receivedBy(String recipient) {
    return received().stream().filter(m -> {
      try {
        return Arrays.stream(m.getAllRecipients()).anyMatch(a -> a.toString().equalsIgnoreCase(recipient));
      } catch (jakarta.mail.MessagingException e) {
        throw new IllegalStateException(e);
      }
    }).toList();
  }

  @Override
  public synchronized void close() {
    greenMail.stop();
  }
}
