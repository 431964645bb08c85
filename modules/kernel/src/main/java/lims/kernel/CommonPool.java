package lims.kernel;

import java.util.concurrent.ForkJoinPool;

/**
 * The JDK common pool must have at least two threads: below that, every async
 * CompletableFuture step starts a new thread, and Pekko's CompletionStages run each
 * callback that way (docs/decisions/0011). Every main method calls
 * {@link #ensureParallelism()} first; tests set the flag in surefire's argLine.
 */
public final class CommonPool {

  private static final String PROPERTY = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private CommonPool() {}

  /** Must run before anything touches the common pool: it is sized once, when first used. */
  public static void ensureParallelism() {
    if (System.getProperty(PROPERTY) == null) {
      System.setProperty(PROPERTY, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
  }

  public static boolean tooSmall() {
    return ForkJoinPool.getCommonPoolParallelism() < 2;
  }

  public static String advice() {
    return "ForkJoinPool common parallelism is " + ForkJoinPool.getCommonPoolParallelism()
        + ": every async step will start a thread; start the JVM with -D" + PROPERTY + "=2";
  }
}
