package lims.reporting.mail;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Locale;
import lims.kernel.ConfigRefused;

/**
 * The SMTP server reports go through ({@code lims.reports.mail}). An empty host means manual
 * delivery: nothing is sent.
 */
public record MailSettings(String host, int port, Tls tls, String user, String password, String from,
    Duration connectTimeout, Duration timeout, Duration writeTimeout) {

  /** How the connection is protected. */
  public enum Tls {
    NONE,
    STARTTLS,
    SMTPS;

    String protocol() {
      return this == SMTPS ? "smtps" : "smtp";
    }
  }

  public static MailSettings fromConfig(Config mail) {
    String tls = mail.getString("tls");
    Tls parsed;
    try {
      parsed = Tls.valueOf(tls.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ConfigRefused.setting("lims.reports.mail.tls", mail.getValue("tls"), "must be none, starttls or smtps");
    }
    String from = mail.getString("from");
    if (!from.matches("[^@\\s<>]{1,64}@[^@\\s<>]{1,190}")) {
      throw ConfigRefused.setting("lims.reports.mail.from", mail.getValue("from"), "must be an e-mail address such as lims@lab.example");
    }
    return new MailSettings(mail.getString("host").strip(), mail.getInt("port"), parsed, mail.getString("user"), mail.getString("password"),
        from, mail.getDuration("connect-timeout"), mail.getDuration("timeout"), mail.getDuration("write-timeout"));
  }

  /** Whether reports are sent at all; without a host delivery is manual. */
  public boolean configured() {
    return !host.isEmpty();
  }

  /** The sender's domain: the right-hand side of every Message-ID. */
  public String domain() {
    return from.substring(from.lastIndexOf('@') + 1);
  }

  @Override
  public String toString() {
    return "MailSettings[" + tls.protocol() + "://" + host + ":" + port + ", tls " + tls + ", user " + user + ", from " + from + "]";
  }
}
