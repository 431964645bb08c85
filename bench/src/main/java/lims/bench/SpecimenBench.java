package lims.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * ./lims bench specimens: persisted specimen transitions per second with 64 clients over
 * 10,000 specimens, and workflow create → start → complete cycles, on PostgreSQL with
 * fsync on, over HTTP. Reuses the device benchmark's node and report plumbing.
 */
public final class SpecimenBench {

  static final List<String> PATH = List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc");

  public static void main(String[] args) throws Exception {
    lims.kernel.CommonPool.ensureParallelism();
    DeviceBench bench = new DeviceBench();
    bench.startNode();
    int specimens = Integer.getInteger("bench.specimens", 10_000);
    int clients = bench.clients;
    int seconds = bench.seconds;
    bench.header("Specimens and workflows benchmark (`./lims bench specimens`)");
    ExecutorService pool = Executors.newFixedThreadPool(clients);

    // Register the specimens first (not measured as transitions).
    List<String> ids = new ArrayList<>();
    List<CompletableFuture<String>> registering = new ArrayList<>();
    for (int i = 0; i < specimens; i++) {
      registering.add(CompletableFuture.supplyAsync(() -> bench.call("POST", "/api/v1/specimens",
          "{\"client_ref\":\"bench\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}").get("id").asText(), pool));
    }
    registering.forEach(f -> ids.add(f.join()));

    // Each client walks its own specimens along the intake path, one transition per request.
    Percentiles transition = new Percentiles();
    LongAdder failed = new LongAdder();
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    long t0 = System.nanoTime();
    List<CompletableFuture<?>> workers = new ArrayList<>();
    for (int w = 0; w < clients; w++) {
      int worker = w;
      workers.add(CompletableFuture.runAsync(() -> {
        for (int k = worker; k < ids.size() && System.nanoTime() < deadline; k += clients) {
          for (String action : PATH) {
            if (System.nanoTime() >= deadline) break;
            if (!bench.timed(transition, "POST", "/api/v1/specimens/" + ids.get(k) + "/transitions", "{\"action\":\"" + action + "\"}")) {
              failed.increment();
            }
          }
        }
      }, pool));
    }
    CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
    double elapsed = (System.nanoTime() - t0) / 1e9;
    bench.table("Specimen transitions, " + String.format("%,d", specimens) + " specimens, " + clients + " concurrent clients, " + seconds + " s",
        String.format("| persisted transitions/s | %.0f |", transition.count() / elapsed),
        "| transition latency | " + transition.summary() + " |",
        "| failed | " + failed.sum() + " |");

    // Workflow create → start → complete, each client on its own device.
    for (int d = 0; d < clients; d++) {
      bench.call("POST", "/api/v1/devices", "{\"id\":\"wfbench-" + d + "\",\"name\":\"Bench\",\"type\":\"plate_reader\"}");
    }
    Percentiles cycle = new Percentiles();
    LongAdder wfFailed = new LongAdder();
    AtomicInteger done = new AtomicInteger();
    long deadline2 = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    long t1 = System.nanoTime();
    List<CompletableFuture<?>> wfWorkers = new ArrayList<>();
    for (int w = 0; w < clients; w++) {
      String device = "wfbench-" + w;
      wfWorkers.add(CompletableFuture.runAsync(() -> {
        while (System.nanoTime() < deadline2) {
          long c0 = System.nanoTime();
          try {
            String id = bench.call("POST", "/api/v1/workflows", "{\"name\":\"bench\",\"device_id\":\"" + device
                + "\",\"sample_barcodes\":[],\"steps\":[\"read_absorbance\"]}").get("id").asText();
            bench.call("POST", "/api/v1/workflows/" + id + "/start", "{}");
            bench.call("POST", "/api/v1/workflows/" + id + "/execute-step", "{}");
            bench.call("POST", "/api/v1/workflows/" + id + "/complete", "{}");
            cycle.add(System.nanoTime() - c0);
            done.incrementAndGet();
          } catch (RuntimeException e) {
            wfFailed.increment();
          }
        }
      }, pool));
    }
    CompletableFuture.allOf(wfWorkers.toArray(CompletableFuture[]::new)).join();
    double elapsed2 = (System.nanoTime() - t1) / 1e9;
    bench.table("Workflow create → start → complete, " + clients + " clients, each on its own device, " + seconds + " s",
        String.format("| cycles/s | %.0f |", done.get() / elapsed2),
        "| cycle latency (3 requests) | " + cycle.summary() + " |",
        "| failed cycles | " + wfFailed.sum() + " |");
    pool.shutdown();
    System.out.println(String.join("\n", bench.report));
    bench.stopNode();
    System.exit(0);
  }
}
