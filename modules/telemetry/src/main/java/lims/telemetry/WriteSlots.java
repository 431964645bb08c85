package lims.telemetry;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * At most {@code slots} batch stores at once on a node (config {@code max-concurrent-writes}),
 * the others waiting their turn in order. Telemetry shares the node's database pool with every
 * API call: without this, fifty adapters would put fifty writes ahead of every read. The wait
 * is bounded: each socket has one batch in store at a time, so at most one waits per socket.
 */
final class WriteSlots {

  private final int slots;
  private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  private int busy;

  WriteSlots(int slots) {
    if (slots < 1) throw new IllegalArgumentException("lims.telemetry.max-concurrent-writes must be at least 1");
    this.slots = slots;
  }

  <T> CompletionStage<T> run(Supplier<CompletionStage<T>> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable start = () -> {
      CompletionStage<T> started;
      try {
        started = work.get();
      } catch (RuntimeException e) {
        started = CompletableFuture.failedFuture(e);
      }
      started.whenComplete((value, failure) -> {
        release();
        if (failure != null) result.completeExceptionally(failure);
        else result.complete(value);
      });
    };
    boolean now;
    synchronized (this) {
      now = busy < slots;
      if (now) busy++;
      else waiting.add(start);
    }
    if (now) start.run();
    return result;
  }

  /** Hands the slot to the next waiting store, or frees it. */
  private void release() {
    Runnable next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) busy--;
    }
    if (next != null) next.run();
  }

  synchronized int waiting() {
    return waiting.size();
  }
}
