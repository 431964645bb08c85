package lims.analysis;

/** POSIX shell quoting: the one way a value enters a command line. */
public final class Shell {

  private Shell() {}

  /** The value as one single-quoted word; a quote inside becomes {@code '\''}. Nothing in it is expanded. */
  public static String quote(String value) {
    return "'" + value.replace("'", "'\\''") + "'";
  }

  /** The remote command that starts a detached tmux session running {@code command} and prints the session's id. */
  static String tmuxStart(String socket, String session, String command) {
    return "tmux -L " + quote(socket) + " new-session -d -P -F '#{session_id}' -s " + quote(session) + " " + quote(command);
  }

  /** Ends a session; exact name match ({@code =}), so one id never matches another by prefix. */
  static String tmuxKill(String socket, String session) {
    return "tmux -L " + quote(socket) + " kill-session -t " + quote("=" + session);
  }
}
