package lims.bench;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * ./lims bench events: one node on a private, durable PostgreSQL (as ./lims bench devices),
 * {@code bench.clients} (200) clients reading GET /api/v1/events over HTTP, and
 * {@code bench.rate} (100) domain changes a second made through the API (specimen
 * registrations, each with its own client_ref) for {@code bench.seconds} (600). For every
 * change: the time from sending its request to each client reading its event, and to the
 * last of the clients reading it ("delivered to every client"). The JVM's heap after a full
 * GC at the start, every minute, and at the end: node and clients share this JVM, and the
 * clients hold nothing per change once every client has it. Prints a Markdown report.
 */
public final class EventsBench {

  static final int CLIENTS = Integer.getInteger("bench.clients", 200);
  static final int RATE = Integer.getInteger("bench.rate", 100);
  static final int SECONDS = Integer.getInteger("bench.seconds", 600);
  static final String MARK = "\"client_ref\":\"";

  private final DeviceBench bench = new DeviceBench();
  /** Each change by client_ref, until every client read it: {sent at, clients that read it, latest read, acknowledged at} (nanoTime). */
  private final Map<String, long[]> sent = new ConcurrentHashMap<>();
  private final Histogram perClient = new Histogram();
  private final Histogram everyClient = new Histogram();
  /** The write itself: request sent → 201 read. */
  private final Histogram write = new Histogram();
  /** Delivery alone: 201 read → read by every client (0 when every client had it before the 201). */
  private final Histogram afterAck = new Histogram();
  private final LongAdder closings = new LongAdder();
  private final LongAdder failedChanges = new LongAdder();
  private final LongAdder lateStrangers = new LongAdder();

  public static void main(String[] args) {
    lims.kernel.CommonPool.ensureParallelism();
    DeviceBench.runThenExit(() -> {
      new EventsBench().run();
      return null;
    });
  }

  void run() throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("lims.access")).setLevel(ch.qos.logback.classic.Level.WARN);
    bench.startNode();
    bench.header("Live events benchmark (`./lims bench events`)");
    HttpClient streams = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Executors.newFixedThreadPool(4)).build();
    CountDownLatch open = new CountDownLatch(CLIENTS);
    List<CompletableFuture<?>> connections = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      HttpRequest request = HttpRequest.newBuilder(URI.create(bench.base + "/api/v1/events")).header("Authorization", "Bearer " + bench.token).GET().build();
      connections.add(streams.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(new Reader(open))));
    }
    if (!open.await(2, TimeUnit.MINUTES)) throw new IllegalStateException("the " + CLIENTS + " streams did not open");

    List<String> heap = new ArrayList<>();
    heap.add("start " + heapAfterGc());
    HttpClient writes = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Executors.newFixedThreadPool(4)).build();
    ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2);
    AtomicInteger made = new AtomicInteger();
    long t0 = System.nanoTime();
    ticker.scheduleAtFixedRate(() -> change(writes, "bench-" + made.incrementAndGet()), 0, 1_000_000 / RATE, TimeUnit.MICROSECONDS);
    for (int minute = 1; minute * 60 < SECONDS; minute++) {
      Thread.sleep(60_000); // the benchmark's own pace, not a wait for a timer of the node's
      heap.add(minute + " min " + heapAfterGc());
    }
    Thread.sleep(Math.max(0, t0 + TimeUnit.SECONDS.toNanos(SECONDS) - System.nanoTime()) / 1_000_000);
    ticker.shutdownNow();
    double elapsed = (System.nanoTime() - t0) / 1e9;
    // Stragglers: every change sent gets 10 s more to reach every client.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!sent.isEmpty() && System.nanoTime() < until) Thread.sleep(100);
    heap.add("end " + heapAfterGc());
    int undelivered = sent.size();

    bench.table(String.format("%d clients, %d changes/s for %.0f s (specimen registrations through the API)", CLIENTS, RATE, elapsed),
        String.format("| changes made | %,d (%.1f/s), %d failed |", made.get(), made.get() / elapsed, failedChanges.sum()),
        String.format("| events read by clients | %,d (%.0f/s) |", perClient.count(), perClient.count() / elapsed),
        "| change sent → read by one client | " + perClient.summary() + " |",
        "| **change sent → read by every client** | **" + everyClient.summary() + "** |",
        "| of which the write: request sent → 201 | " + write.summary() + " |",
        "| delivery alone: 201 → read by every client | " + afterAck.summary() + " |",
        "| changes not read by every client 10 s after the end | " + undelivered + " |",
        "| streams closed by the node (slow client) | " + closings.sum() + " |",
        "| events of no change awaited (a request that failed but was written, or an event read twice) | " + lateStrangers.sum() + " |",
        "| JVM heap used after a full GC (node and clients) | " + String.join(", ", heap) + " |");
    System.out.println(String.join("\n", bench.report));
    connections.forEach(c -> c.cancel(true));
    bench.stopNode();
  }

  private void change(HttpClient writes, String ref) {
    long[] change = {System.nanoTime(), 0, 0, 0};
    sent.put(ref, change);
    HttpRequest request = HttpRequest.newBuilder(URI.create(bench.base + "/api/v1/specimens")).header("Authorization", "Bearer " + bench.token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"client_ref\":\"" + ref + "\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}")).build();
    writes.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((reply, failure) -> {
      if (failure != null || reply.statusCode() != 201) {
        failedChanges.increment();
        sent.remove(ref);
        return;
      }
      long now = System.nanoTime();
      write.add(now - change[0]);
      boolean everyClientHasIt;
      synchronized (change) {
        change[3] = now;
        everyClientHasIt = change[1] == CLIENTS;
      }
      if (everyClientHasIt) afterAck.add(0);
    });
  }

  /** A client's reading of its stream, one line at a time. */
  private final class Reader implements Flow.Subscriber<String> {
    private final CountDownLatch open;

    Reader(CountDownLatch open) {
      this.open = open;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      long now = System.nanoTime();
      if (line.equals("event: open")) open.countDown();
      if (line.equals("event: closing")) closings.increment();
      int at = line.indexOf(MARK);
      if (!line.startsWith("data: ") || at < 0) return;
      String ref = line.substring(at + MARK.length(), line.indexOf('"', at + MARK.length()));
      long[] change = sent.get(ref);
      if (change == null) {
        lateStrangers.increment();
        return;
      }
      perClient.add(now - change[0]);
      boolean last;
      long acknowledged;
      synchronized (change) {
        change[1]++;
        change[2] = Math.max(change[2], now);
        last = change[1] == CLIENTS;
        acknowledged = change[3];
      }
      if (last) {
        everyClient.add(change[2] - change[0]);
        if (acknowledged != 0) afterAck.add(Math.max(0, change[2] - acknowledged)); // else the 201's handler counts 0
        sent.remove(ref);
      }
    }

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}
  }

  static String heapAfterGc() {
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024) + " MB";
  }

  /** Latencies in 1 ms buckets up to a minute: fixed memory however long the run. */
  static final class Histogram {
    private final AtomicLongArray buckets = new AtomicLongArray(60_001);
    private final LongAdder count = new LongAdder();

    void add(long nanos) {
      buckets.incrementAndGet((int) Math.min(60_000, Math.max(0, nanos / 1_000_000)));
      count.increment();
    }

    long count() {
      return count.sum();
    }

    String summary() {
      return String.format("p50 %d ms, p99 %d ms, max %d ms", quantile(0.50), quantile(0.99), quantile(1.0));
    }

    private long quantile(double q) {
      long total = count.sum();
      if (total == 0) return 0;
      long rank = Math.max(1, (long) Math.ceil(q * total));
      long seen = 0;
      for (int i = 0; i < buckets.length(); i++) {
        seen += buckets.get(i);
        if (seen >= rank) return i + 1; // the bucket's upper bound
      }
      return buckets.length();
    }
  }
}
