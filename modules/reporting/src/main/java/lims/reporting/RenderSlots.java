package lims.reporting;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where reports render: the node's render dispatcher, apart from the default dispatcher,
 * the HTTP one and the database's, with {@code concurrency} renders at a time (1 by
 * default), so a render of minutes never takes a thread from intake or review (decision 0058).
 *
 * <p>Each render runs on a thread of its own, started for it, at the Linux nice value {@code nice}
 * ({@link BackgroundPriority}), under a time limit. Past the
 * limit the render is abandoned: its caller gets a {@link TimeoutException} at once, and its
 * thread is interrupted (the renderer checks between its stages). A thread still running
 * {@code grace} later is stopped outright: only that render's own objects live on it, and a
 * render that never ends (a template that loops) must neither hold the slot nor burn a core
 * forever. The slot is given back when the thread has really ended, so the concurrency is
 * what the configuration says, runaways included.
 */
public final class RenderSlots {

  private static final Logger log = LoggerFactory.getLogger(RenderSlots.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final Semaphore slots;
  private final Duration grace;
  private final int nice;
  private final java.util.Set<Thread> running = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public RenderSlots(int concurrency, Duration grace) {
    this(concurrency, grace, 0);
  }

  /** @param nice the render threads' Linux nice value (1–19, lower priority as it grows; 0 the node's own) */
  public RenderSlots(int concurrency, Duration grace, int nice) {
    if (concurrency < 1) throw new IllegalArgumentException("render concurrency must be at least 1");
    if (nice < 0 || nice > 19) throw new IllegalArgumentException("render nice must be 0-19");
    this.slots = new Semaphore(concurrency, true);
    this.grace = grace;
    this.nice = nice;
  }

  /**
   * Reserves a free slot, before the worker claims a job for it: a node claims only what it
   * can render now. Empty when every slot is taken (a runaway render holds its slot until its
   * thread is stopped).
   */
  public Optional<Slot> reserve() {
    return slots.tryAcquire() ? Optional.of(new Slot()) : Optional.empty();
  }

  /** A reserved slot: {@link #run} once, or {@link #release} when nothing is to render. */
  public final class Slot {
    private final AtomicBoolean used = new AtomicBoolean();

    public void release() {
      if (used.compareAndSet(false, true)) slots.release();
    }

    /**
     * Runs {@code render} on a thread of its own within {@code timeLimit}: its value, its
     * failure, or a {@link TimeoutException} when the limit passed first. The slot is free
     * again when that thread has ended.
     */
    public <T> CompletionStage<T> run(String name, Callable<T> render, Duration timeLimit) {
      if (!used.compareAndSet(false, true)) throw new IllegalStateException("a slot runs one render");
      CompletableFuture<T> answer = new CompletableFuture<>();
      Thread thread = new Thread(() -> {
        running.add(Thread.currentThread());
        try {
          BackgroundPriority.lowerTo(nice);
          answer.complete(render.call());
        } catch (Throwable failure) {
          answer.completeExceptionally(failure);
        } finally {
          running.remove(Thread.currentThread());
          slots.release();
        }
      }, "lims-report-render-" + THREADS.incrementAndGet());
      thread.setDaemon(true);
      thread.start();
      CompletableFuture.delayedExecutor(timeLimit.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        if (answer.completeExceptionally(new TimeoutException(name + " did not render within " + timeLimit))) {
          log.warn("{} passed its time limit of {}: abandoned", name, timeLimit);
          thread.interrupt();
          CompletableFuture.delayedExecutor(grace.toMillis(), TimeUnit.MILLISECONDS).execute(() -> stopIfRunning(name, thread));
        }
      });
      return answer;
    }
  }

  /** The node is stopping: renders under way stop at their next stage (their jobs go to another node). */
  public void interruptAll() {
    running.forEach(Thread::interrupt);
  }

  @SuppressWarnings({"deprecation", "removal"})
  private static void stopIfRunning(String name, Thread thread) {
    if (!thread.isAlive()) return;
    log.error("{} still runs after its interruption: stopping its thread", name);
    // Thread.stop is the only way to end a render that ignores interruption; the thread holds
    // only its own render's objects, and its slot is given back by its own finally block.
    try {
      thread.stop();
    } catch (UnsupportedOperationException e) { // Java 20 and later: the thread keeps its slot until it ends
      log.error("{} cannot be stopped on this Java runtime; its render slot stays taken until it ends", name);
    }
  }
}
