package lims.reporting.mail;

/**
 * One message to one recipient: a report's PDF with a short text. {@code messageId} is the
 * Message-ID header, angle brackets included; the same letter sent twice carries the same one.
 */
public record Letter(String messageId, String recipient, String subject, String text, String attachmentName, byte[] pdf) {}
