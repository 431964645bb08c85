package lims.bench.cluster;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition the system reaches by itself, with a bound; never a fixed sleep. */
public final class Await {

  private Await() {}

  public static void until(Duration bound, Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("waited " + bound.toSeconds() + " s for " + what.get());
      pause(Duration.ofMillis(100)); // a poll interval, not a wait for the condition
    }
  }

  /** Until {@code check} passes; its last failure is the message when the bound passes. */
  public static void untilPasses(Duration bound, Runnable check) {
    AssertionError[] last = new AssertionError[1];
    until(bound, () -> String.valueOf(last[0] == null ? "" : last[0].getMessage()), () -> {
      try {
        check.run();
        return true;
      } catch (AssertionError e) {
        last[0] = e;
        return false;
      }
    });
  }

  /**
   * A deliberate pause of the harness itself (how long a node stays killed, paced load), as
   * opposed to waiting for the system: those use {@link #until}.
   */
  public static void pause(Duration length) {
    try {
      Thread.sleep(length.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
