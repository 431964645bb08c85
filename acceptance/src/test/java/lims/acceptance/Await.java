package lims.acceptance;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition the node reaches by itself, with a bound; never a fixed sleep. */
final class Await {

  private Await() {}

  static void until(Duration bound, Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("waited " + bound.toSeconds() + " s for " + what.get());
      try {
        Thread.sleep(100); // a poll interval, not a wait for the condition
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what.get());
      }
    }
  }

  /** Until {@code check} passes; its last failure is the message when the bound passes. */
  static void untilPasses(Duration bound, Runnable check) {
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
}
