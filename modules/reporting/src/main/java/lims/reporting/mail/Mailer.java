package lims.reporting.mail;

import jakarta.activation.DataHandler;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Properties;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Sends a letter over SMTP (Angus Mail), one connection and one SMTP transaction per
 * recipient, so the server's acceptance (its 250 to the message) is known per recipient.
 * Blocking: call it on a blocking dispatcher. Every wait is bounded by the settings: the
 * connection, each reply of the server, each write.
 */
public final class Mailer {

  private final MailSettings settings;
  private final Session session;

  public Mailer(MailSettings settings) {
    this.settings = settings;
    this.session = Session.getInstance(properties(settings));
  }

  public MailSettings settings() {
    return settings;
  }

  /** Jakarta Mail's defaults wait for ever on every one of these. */
  static Properties properties(MailSettings s) {
    Properties p = new Properties();
    String protocol = s.tls().protocol();
    String prefix = "mail." + protocol + ".";
    p.setProperty("mail.transport.protocol", protocol);
    p.setProperty(prefix + "host", s.host());
    p.setProperty(prefix + "port", Integer.toString(s.port()));
    p.setProperty(prefix + "connectiontimeout", Long.toString(s.connectTimeout().toMillis()));
    p.setProperty(prefix + "timeout", Long.toString(s.timeout().toMillis()));
    p.setProperty(prefix + "writetimeout", Long.toString(s.writeTimeout().toMillis()));
    p.setProperty(prefix + "from", s.from());
    p.setProperty(prefix + "auth", Boolean.toString(!s.user().isEmpty()));
    // Nothing is learnt from the reply to QUIT: the letter's fate is known before it.
    p.setProperty(prefix + "quitwait", "false");
    if (s.tls() == MailSettings.Tls.STARTTLS) {
      p.setProperty(prefix + "starttls.enable", "true");
      p.setProperty(prefix + "starttls.required", "true");
    }
    if (s.tls() != MailSettings.Tls.NONE) p.setProperty(prefix + "ssl.checkserveridentity", "true");
    return p;
  }

  /**
   * Sends the letter and answers the server's reply to it (e.g. {@code 250 2.0.0 Ok: queued as
   * 4F2}); fails when the server did not accept it, or did not answer in time.
   */
  public String send(Letter letter, Instant sentAt) throws MailFailure {
    MimeMessage message;
    try {
      message = message(letter, sentAt);
    } catch (MessagingException e) {
      throw new MailFailure("cannot build the message: " + e.getMessage(), true, e);
    }
    SMTPTransport transport = null;
    try {
      transport = (SMTPTransport) session.getTransport(settings.tls().protocol());
      transport.connect(settings.host(), settings.port(), settings.user().isEmpty() ? null : settings.user(),
          settings.user().isEmpty() ? null : settings.password());
      transport.sendMessage(message, new Address[] {new InternetAddress(letter.recipient(), true)});
      return transport.getLastServerResponse();
    } catch (MessagingException e) {
      throw SmtpReplies.failure(e, transport);
    } finally {
      closeQuietly(transport);
    }
  }

  private MimeMessage message(Letter letter, Instant sentAt) throws MessagingException {
    MimeMessage message = new FixedIdMessage(session, letter.messageId());
    message.setFrom(new InternetAddress(settings.from(), true));
    message.setRecipient(MimeMessage.RecipientType.TO, new InternetAddress(letter.recipient(), true));
    message.setSubject(letter.subject(), StandardCharsets.UTF_8.name());
    message.setSentDate(Date.from(sentAt));
    MimeBodyPart text = new MimeBodyPart();
    text.setText(letter.text(), StandardCharsets.UTF_8.name());
    MimeBodyPart pdf = new MimeBodyPart();
    pdf.setDataHandler(new DataHandler(new ByteArrayDataSource(letter.pdf(), "application/pdf")));
    pdf.setFileName(letter.attachmentName());
    pdf.setDisposition(MimeBodyPart.ATTACHMENT);
    // Chosen by content, a PDF written in ASCII would go as 7bit text, its line ends turned into
    // CRLF on the way: the attachment must be the stored bytes exactly.
    pdf.setHeader("Content-Transfer-Encoding", "base64");
    message.setContent(new MimeMultipart(text, pdf));
    message.saveChanges();
    return message;
  }

  /** The letter's fate is settled before QUIT: a failure to close changes nothing. */
  private static void closeQuietly(SMTPTransport transport) {
    if (transport == null) return;
    try {
      transport.close();
    } catch (MessagingException | RuntimeException ignored) {
      // the connection is dropped either way
    }
  }

  /** A message whose Message-ID is given, not made up anew by each saveChanges. */
  private static final class FixedIdMessage extends MimeMessage {
    private final String messageId;

    FixedIdMessage(Session session, String messageId) {
      super(session);
      this.messageId = messageId;
    }

    @Override
    protected void updateMessageID() throws MessagingException {
      setHeader("Message-ID", messageId);
    }
  }
}
