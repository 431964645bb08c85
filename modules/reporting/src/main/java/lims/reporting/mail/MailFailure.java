package lims.reporting.mail;

/**
 * A letter the server did not accept. {@code permanent} when the server answered 5xx (an unknown
 * mailbox, a refused sender or login): trying again unchanged cannot help.
 */
public final class MailFailure extends Exception {

  private final boolean permanent;

  public MailFailure(String message, boolean permanent, Throwable cause) {
    super(message, cause);
    this.permanent = permanent;
  }

  public boolean permanent() {
    return permanent;
  }
}
