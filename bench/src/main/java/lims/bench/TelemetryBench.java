package lims.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import lims.adapter.ChannelSource;
import lims.adapter.Credentials;
import lims.adapter.SimulatedInstrument;
import lims.adapter.TelemetryStream;
import org.postgresql.PGConnection;

/**
 * ./lims bench telemetry [--seconds 60] [--soak 2m] [--adapters 10] [--batch 500]: one node
 * in this JVM on a fresh database of the command's private, durable PostgreSQL (as ./lims
 * bench devices), and {@code adapters} simulated incubators (the reference adapter's
 * {@link TelemetryStream}, one WebSocket each, {@code batch} readings a batch, 8 batches
 * ahead of their acks) streaming as fast as the node acknowledges.
 *
 * <ol>
 *   <li>Ingest: readings acknowledged per second, end to end, over {@code seconds} after a
 *       10 s warm-up.
 *   <li>PostgreSQL's own ceiling on the same database: the same rows (the same simulated
 *       batches, as CSV) COPYed into telemetry_reading by the JDBC CopyManager, one connection
 *       per adapter, one COPY and commit a batch, for {@code seconds}. The ratio is the goal's
 *       measure (at least 0.5).
 *   <li>Soak: the adapters at half the ingest's rate for {@code soak}; the JVM's heap after a
 *       full GC at intervals (node and clients share this JVM).
 * </ol>
 * In both streaming phases a client reads GET /api/v1/events: for each telemetry event, the
 * time from its newest reading's instrument time (the adapter stamps it as it sends the batch)
 * to the event's arrival. Prints a Markdown report.
 */
public final class TelemetryBench {

  private final DeviceBench bench = new DeviceBench();
  private final int adapters;
  private final int batch;
  private final Duration measure;
  private final Duration soak;
  private final List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final LongAdder reconnects = new LongAdder();

  private TelemetryBench(Map<String, String> options) {
    this.adapters = Integer.parseInt(options.getOrDefault("adapters", "10"));
    this.batch = Integer.parseInt(options.getOrDefault("batch", "500"));
    this.measure = duration(options.getOrDefault("seconds", "60") + "s");
    this.soak = duration(options.getOrDefault("soak", "2m"));
  }

  public static void main(String[] args) {
    lims.kernel.CommonPool.ensureParallelism();
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("usage: ./lims bench telemetry [--seconds 60] [--soak 2m] [--adapters 10] [--batch 500]");
      options.put(args[i].substring(2), args[i + 1]);
    }
    DeviceBench.runThenExit(() -> {
      new TelemetryBench(options).run();
      return null;
    });
  }

  private static Duration duration(String text) {
    String t = text.strip().toLowerCase(java.util.Locale.ROOT);
    long n = Long.parseLong(t.replaceAll("[a-z]+$", ""));
    return t.endsWith("ms") ? Duration.ofMillis(n) : t.endsWith("m") ? Duration.ofMinutes(n) : t.endsWith("h") ? Duration.ofHours(n) : Duration.ofSeconds(n);
  }

  void run() throws Exception {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("lims.access")).setLevel(ch.qos.logback.classic.Level.WARN);
    bench.startNode();
    bench.header("Telemetry benchmark (`./lims bench telemetry`)");
    Credentials admin = Credentials.login(URI.create(bench.base), "admin", DeviceBench.PASSWORD, Duration.ofSeconds(10));
    List<Adapter> running = new ArrayList<>();
    for (int i = 1; i <= adapters; i++) {
      String device = "bench-incubator-" + i;
      bench.call("POST", "/api/v1/devices", DeviceBench.JSON.writeValueAsString(Map.of("id", device, "name", "Incubator " + i, "type", "incubator")));
      running.add(new Adapter(device, admin, i));
    }

    // 1. ingest, flat out
    LiveClient live = new LiveClient(admin.token());
    running.forEach(a -> a.start(0));
    pause(Duration.ofSeconds(10)); // warm-up: JIT, pools, the day's partition
    live.reset();
    long ackedBefore = acked(running);
    long t0 = System.nanoTime();
    pause(measure);
    double ingestSeconds = (System.nanoTime() - t0) / 1e9;
    double ingestRate = (acked(running) - ackedBefore) / ingestSeconds;
    if (ingestRate == 0) {
      throw new IllegalStateException("no reading acknowledged in " + Math.round(ingestSeconds) + " s (" + reconnects.sum()
          + " failed connections; is GET /api/v1/devices/{id}/telemetry/stream there?)");
    }
    String ingestLatency = live.latency.summary();
    long ingestEvents = live.latency.count();
    for (Adapter a : running) a.stopAndDrain();
    live.close();

    // 2. PostgreSQL's COPY ceiling, same rows, same database
    double copyRate = copyCeiling();

    // 3. soak at half the ingest's rate
    List<String> heap = new ArrayList<>();
    heap.add("start " + EventsBench.heapAfterGc());
    live = new LiveClient(admin.token());
    double perAdapter = ingestRate / 2 / adapters;
    running.forEach(a -> a.start(perAdapter));
    long soakBefore = acked(running);
    long s0 = System.nanoTime();
    Duration every = soak.dividedBy(10).compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : soak.dividedBy(10);
    for (Duration done = Duration.ZERO; done.compareTo(soak) < 0; done = done.plus(every)) {
      pause(every);
      heap.add(Duration.ofNanos(System.nanoTime() - s0).toSeconds() + " s " + EventsBench.heapAfterGc());
    }
    double soakSeconds = (System.nanoTime() - s0) / 1e9;
    double soakRate = (acked(running) - soakBefore) / soakSeconds;
    for (Adapter a : running) a.stopAndDrain();
    long unacknowledged = running.stream().mapToLong(a -> a.stream.buffered()).sum();
    live.close();
    heap.add("end " + EventsBench.heapAfterGc());
    long stored = bench.longScalar("SELECT count(*) FROM telemetry_reading WHERE device_id LIKE 'bench-incubator-%'");
    long ackedAll = acked(running);

    bench.table(String.format("%d adapters over WebSocket, %d readings a batch, 8 batches ahead of their acks", adapters, batch),
        String.format("| **readings acknowledged end to end** (%.0f s after a 10 s warm-up) | **%,.0f/s** |", ingestSeconds, ingestRate),
        String.format("| PostgreSQL COPY ceiling, same rows, %d connections, one COPY and commit a batch | %,.0f/s |", adapters, copyRate),
        String.format("| **ratio to the COPY ceiling** (goal >= 0.5) | **%.2f** |", ingestRate / copyRate),
        "| reading → SSE client, flat out (" + ingestEvents + " telemetry events) | " + ingestLatency + " |",
        String.format("| soak: %.0f s at half the rate | %,.0f readings/s acknowledged |", soakSeconds, soakRate),
        "| **reading → SSE client, soak** (" + live.latency.count() + " telemetry events) | **" + live.latency.summary() + "** |",
        "| JVM heap used after a full GC during the soak (node and clients) | " + String.join(", ", heap) + " |",
        String.format("| readings acknowledged in all / rows of the adapters' devices in telemetry_reading | %,d / %,d |", ackedAll, stored),
        "| batches unacknowledged at the end, reconnects, refusals | " + unacknowledged + ", " + reconnects.sum() + ", " + refusals.size()
            + (refusals.isEmpty() ? "" : " (first: " + refusals.get(0) + ")") + " |");
    System.out.println(String.join("\n", bench.report));
    bench.stopNode();
  }

  private static long acked(List<Adapter> running) {
    return running.stream().mapToLong(a -> a.stream.ackedReadings()).sum();
  }

  /** The benchmark's own pace between measurements (not a wait for a timer of the node's). */
  private static void pause(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }

  // --- the adapters ---------------------------------------------------------------------

  /** One simulated incubator: its instrument, its stream, and the thread that feeds it. */
  private final class Adapter {
    final String device;
    final SimulatedInstrument instrument;
    final TelemetryStream stream;
    final int samples;
    volatile boolean stopping;
    Thread feeder;

    Adapter(String device, Credentials credentials, int n) {
      this.device = device;
      this.instrument = new SimulatedInstrument(ChannelSource.shipped("incubator"), Instant.now().plusMillis(n), n);
      this.samples = Math.max(1, batch / instrument.channels().size());
      URI socket = URI.create(bench.base.replaceFirst("^http", "ws") + "/api/v1/devices/" + device + "/telemetry/stream");
      this.stream = new TelemetryStream(new TelemetryStream.Settings(socket, 8, 16, Duration.ofMillis(200), Duration.ofSeconds(5),
          Duration.ofSeconds(10)), credentials, new TelemetryStream.Events() {
            @Override
            public void disconnected(String why, Duration retryIn) {
              reconnects.increment();
            }

            @Override
            public void refused(long seq, int index, String field, String error) {
              refusals.add(device + " seq " + seq + " index " + index + ": " + error);
            }
          });
    }

    /** Feeds batches as fast as the stream takes them ({@code readingsPerSecond} 0), or at that pace. */
    void start(double readingsPerSecond) {
      stopping = false;
      long period = readingsPerSecond > 0 ? (long) (1e9 * samples * instrument.channels().size() / readingsPerSecond) : 0;
      feeder = new Thread(() -> {
        long next = System.nanoTime();
        try {
          while (!stopping) {
            if (period > 0) {
              next += period;
              long wait = next - System.nanoTime();
              if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            }
            // Samples 10 µs apart: at this pace the instrument's clock stays with the wall clock.
            TelemetryStream.Batch b = instrument.next(Instant.now(), samples, Duration.ofNanos(10_000));
            while (!stopping && !stream.offer(b, Duration.ofSeconds(1))) {
              // the node acknowledges nothing for now: keep this batch until it has room
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "adapter-" + device);
      feeder.setDaemon(true);
      feeder.start();
    }

    void stopAndDrain() throws InterruptedException {
      stopping = true;
      feeder.join(10_000);
      stream.drained(Duration.ofSeconds(60));
    }
  }

  // --- PostgreSQL's ceiling ---------------------------------------------------------------

  private double copyCeiling() throws Exception {
    LongAdder rows = new LongAdder();
    CountDownLatch ready = new CountDownLatch(adapters);
    CompletableFuture<?>[] writers = new CompletableFuture<?>[adapters];
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    // A thread each: the common pool has as many threads as cores, and every writer blocks on its COPY.
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(adapters);
    for (int i = 0; i < adapters; i++) {
      int n = i + 1;
      writers[i] = CompletableFuture.runAsync(() -> copyAsAdapter("bench-copy-" + n, n, ready, rows, stop), threads);
    }
    if (!ready.await(1, TimeUnit.MINUTES)) throw new IllegalStateException("the COPY connections did not open");
    long r0 = rows.sum();
    long t0 = System.nanoTime();
    pause(measure);
    long r1 = rows.sum();
    double seconds = (System.nanoTime() - t0) / 1e9;
    stop.set(true);
    CompletableFuture.allOf(writers).get(2, TimeUnit.MINUTES);
    threads.shutdown();
    return (r1 - r0) / seconds;
  }

  private void copyAsAdapter(String device, int n, CountDownLatch ready, LongAdder rows, java.util.concurrent.atomic.AtomicBoolean stop) {
    SimulatedInstrument instrument = new SimulatedInstrument(ChannelSource.shipped("incubator"), Instant.now().plusMillis(n), n);
    int samples = Math.max(1, batch / instrument.channels().size());
    try (Connection c = DriverManager.getConnection(bench.dbUrl, DeviceBench.USER, "")) {
      c.setAutoCommit(true); // one COPY, one commit, as the node commits one batch
      var copy = c.unwrap(PGConnection.class).getCopyAPI();
      ready.countDown();
      while (!stop.get()) {
        TelemetryStream.Batch b = instrument.next(Instant.now(), samples, Duration.ofNanos(10_000));
        String csv = csv(device, b);
        copy.copyIn("COPY telemetry_reading (device_id, channel, at, received_at, reading_value, quality) FROM STDIN (FORMAT csv)", new StringReader(csv));
        rows.add(b.readings());
      }
    } catch (Exception e) {
      throw new IllegalStateException("COPY into telemetry_reading failed (is the table there?): " + e, e);
    }
  }

  /** The batch's readings as the rows the node stores: received now, quality 0 (good). */
  private static String csv(String device, TelemetryStream.Batch b) throws java.io.IOException {
    StringBuilder out = new StringBuilder();
    String received = Instant.now().toString();
    for (JsonNode r : DeviceBench.JSON.readTree(b.json()).get("readings")) {
      out.append(device).append(',').append(r.get("channel").asText()).append(',').append(r.get("at").asText()).append(',')
          .append(received).append(',').append(r.get("value").asDouble()).append(",0\n");
    }
    return out.toString();
  }

  // --- the live client ------------------------------------------------------------------

  /** A reader of GET /api/v1/events: for each telemetry event, its newest reading's age on arrival. */
  private final class LiveClient implements Flow.Subscriber<String> {
    volatile EventsBench.Histogram latency = new EventsBench.Histogram();
    private final CompletableFuture<?> connection;
    private final CountDownLatch open = new CountDownLatch(1);

    LiveClient(String token) throws InterruptedException {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      connection = http.sendAsync(HttpRequest.newBuilder(URI.create(bench.base + "/api/v1/events")).header("Authorization", "Bearer " + token)
          .GET().build(), HttpResponse.BodyHandlers.fromLineSubscriber(this));
      if (!open.await(1, TimeUnit.MINUTES)) throw new IllegalStateException("the event stream did not open");
    }

    void reset() {
      latency = new EventsBench.Histogram();
    }

    void close() {
      connection.cancel(true);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      Instant now = Instant.now();
      if (line.equals("event: open")) open.countDown();
      if (!line.startsWith("data: {\"type\":\"telemetry\"")) return;
      try {
        JsonNode readings = DeviceBench.JSON.readTree(line.substring(6)).get("readings");
        Instant newest = Instant.parse(readings.get(readings.size() - 1).get("at").asText());
        latency.add(Duration.between(newest, now).toNanos());
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}
  }
}
