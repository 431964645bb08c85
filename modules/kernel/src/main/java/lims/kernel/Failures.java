package lims.kernel;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What an asynchronous failure really was: the cause inside CompletionException / ExecutionException wrappers. */
public final class Failures {

  private Failures() {}

  public static Throwable cause(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) t = t.getCause();
    return t;
  }

  /** The cause's message, or its class name when it has none: one line for a log or a failure reason. */
  public static String message(Throwable t) {
    Throwable cause = cause(t);
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }
}
