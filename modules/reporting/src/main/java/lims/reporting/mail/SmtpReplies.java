package lims.reporting.mail;

import jakarta.mail.MessagingException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/** What a failed send means: the server's words when it answered, and whether trying again can help. */
final class SmtpReplies {

  private SmtpReplies() {}

  static MailFailure failure(MessagingException e, SMTPTransport transport) {
    int code = returnCode(e, transport);
    String reply = transport == null ? null : transport.getLastServerResponse();
    String why = describe(e);
    if (code >= 500 && code < 600) {
      return new MailFailure("refused by the server: " + (reply == null || reply.isBlank() ? why : reply.strip()), true, e);
    }
    return new MailFailure(why, false, e);
  }

  /** The reply code of the command that failed, when the server answered one; -1 otherwise. */
  private static int returnCode(MessagingException e, SMTPTransport transport) {
    for (Exception next = e; next != null; next = next instanceof MessagingException m ? m.getNextException() : null) {
      if (next instanceof SMTPAddressFailedException a) return a.getReturnCode();
      if (next instanceof SMTPSendFailedException s) return s.getReturnCode();
    }
    // An authentication the server refused (535) is an AuthenticationFailedException without a code.
    if (e instanceof jakarta.mail.AuthenticationFailedException && transport != null) return transport.getLastReturnCode();
    return -1;
  }

  /** The innermost cause names what went wrong (connection refused, read timed out, ...). */
  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String text = root == e ? e.getMessage() : e.getMessage() + " (" + root + ")";
    return text == null ? e.getClass().getSimpleName() : text;
  }
}
