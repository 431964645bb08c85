package lims.bench;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;

/**
 * Interactive requests at a steady rate, open loop: the n-th request is due at
 * start + n / rate whatever happened to the ones before, and is handed to a few client
 * threads. Its latency counts from when it was due, not from when a thread got round to
 * sending it, so a stalled node shows as the queue of requests that waited for it
 * (no coordinated omission: a closed loop would send fewer requests exactly when the node is
 * slow, and hide the stall).
 */
final class SteadyLoad {

  /** One interactive request: its kind (how it is reported) and the call, answering the HTTP status. */
  record Request(String kind, java.util.function.IntSupplier call) {}

  /** What a window measured: latency of every request and per kind, failures (not 2xx), requests per second. */
  record Result(Percentiles all, Map<String, Percentiles> byKind, long failed, double seconds) {
    double perSecond() {
      return all.count() / seconds;
    }
  }

  private final int rate;
  private final int threads;
  private final LongFunction<Request> requests;
  private long sequence;

  /**
   * @param requests the n-th request of the whole run (numbered across windows, so a window
   *     goes on where the last one stopped)
   */
  SteadyLoad(int rate, int threads, LongFunction<Request> requests) {
    this.rate = rate;
    this.threads = threads;
    this.requests = requests;
  }

  /** Sends for {@code length}. */
  Result run(Duration length) {
    return run(length, () -> false);
  }

  /**
   * Sends until {@code done} says so (asked once a second, off the pacing thread) or
   * {@code bound} passed, then waits for the requests in flight.
   */
  Result run(Duration bound, BooleanSupplier done) {
    Percentiles all = new Percentiles();
    Map<String, Percentiles> byKind = new ConcurrentHashMap<>();
    LongAdder failed = new LongAdder();
    ExecutorService clients = Executors.newFixedThreadPool(threads);
    long period = 1_000_000_000L / rate;
    long start = System.nanoTime();
    long end = start + bound.toNanos();
    boolean[] finished = {false};
    Thread watcher = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted() && !done.getAsBoolean()) {
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // how often completion is asked
      }
      synchronized (finished) {
        finished[0] = true;
      }
    }, "bench-load-watch");
    watcher.setDaemon(true);
    watcher.start();
    for (long n = 0; ; n++) {
      long due = start + n * period;
      if (due >= end) break;
      synchronized (finished) {
        if (finished[0]) break;
      }
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) LockSupport.parkNanos(wait);
      Request request = requests.apply(sequence++);
      clients.execute(() -> {
        int status;
        try {
          status = request.call().getAsInt();
        } catch (RuntimeException e) {
          status = 0;
        }
        long latency = System.nanoTime() - due;
        all.add(latency);
        byKind.computeIfAbsent(request.kind(), k -> new Percentiles()).add(latency);
        if (status < 200 || status >= 300) failed.increment();
      });
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    watcher.interrupt();
    clients.shutdown();
    try {
      if (!clients.awaitTermination(2, TimeUnit.MINUTES)) throw new IllegalStateException("requests still unanswered 2 minutes after the window");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return new Result(all, new TreeMap<>(byKind), failed.sum(), seconds);
  }
}
