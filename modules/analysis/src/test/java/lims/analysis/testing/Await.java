package lims.analysis.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition outside any actor system (a process's file, a tmux session), checking every 20 ms. */
public final class Await {

  private Await() {}

  public static void until(Duration atMost, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + atMost + ": " + what);
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }
}
