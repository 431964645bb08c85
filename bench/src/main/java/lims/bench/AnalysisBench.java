package lims.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;
import lims.analysis.testing.SshServer;

/**
 * ./lims bench analyses: dispatches per second to one host (real sshd, real tmux), and
 * result-detection latency, file renamed into place → specimen IN_REVIEW, with file-system
 * events plus rescan and with the rescan alone (the NFS case).
 */
public final class AnalysisBench {

  public static void main(String[] args) throws Exception {
    lims.kernel.CommonPool.ensureParallelism();
    int analyses = Integer.getInteger("bench.analyses", 200);
    long spacingMillis = Long.getLong("bench.result-spacing-ms", 50);
    Path dir = Files.createTempDirectory("lims-analysis-bench");
    List<String> report = new ArrayList<>();
    try (SshServer ssh = SshServer.start(Files.createDirectories(dir.resolve("ssh")))) {
      Result watch = run(ssh, dir.resolve("watch"), true, analyses, spacingMillis);
      Result rescan = run(ssh, dir.resolve("rescan"), false, analyses, spacingMillis);
      report.add(watch.header);
      report.add("### Dispatch to one host: " + analyses + " specimens finish their experiment at once (64 clients)");
      report.add("");
      report.add("| measure | value |");
      report.add("|---|---|");
      double anchor = opensshAnchor(ssh, 40, 8);
      report.add("| one at a time (20 runs): requested → tmux session confirmed | " + watch.single.summary() + " |");
      report.add(String.format("| burst: dispatches/s (first request → last session confirmed) | %.1f |", watch.dispatchesPerSecond));
      report.add("| burst: requested → dispatched (queueing included) | " + watch.dispatch.summary() + " |");
      report.add(String.format("| anchor: OpenSSH client, `ssh host tmux new-session` ×40, 8 in parallel | %.1f /s |", anchor));
      report.add(String.format("| ratio burst dispatches/s ÷ anchor | %.2f |", watch.dispatchesPerSecond / anchor));
      report.add("");
      report.add("### Result detection: " + analyses + " result files renamed into place, one every " + spacingMillis + " ms");
      report.add("");
      report.add("| path | file renamed → result recorded | file renamed → specimen IN_REVIEW |");
      report.add("|---|---|---|");
      report.add("| WatchService + 2 s rescan (default) | " + watch.recorded.summary() + " | " + watch.inReview.summary() + " |");
      report.add("| rescan only, every 2 s (NFS written by another client) | " + rescan.recorded.summary() + " | " + rescan.inReview.summary() + " |");
      report.add(String.format("| ratio rescan-only / watch, p50 to IN_REVIEW | %.1f× | |", rescan.inReview.p(0.5) / watch.inReview.p(0.5)));
      report.add("");
    }
    System.out.println(String.join("\n", report));
    System.exit(0);
  }

  record Result(String header, Percentiles single, double dispatchesPerSecond, Percentiles dispatch, Percentiles recorded, Percentiles inReview) {}

  /** The same work with the stock OpenSSH client, one connection each: what a shell script would get from this host. */
  static double opensshAnchor(SshServer ssh, int commands, int parallel) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(parallel);
    long t0 = System.nanoTime();
    List<CompletableFuture<Void>> runs = new ArrayList<>();
    for (int i = 0; i < commands; i++) {
      String session = "anchor-" + i;
      runs.add(CompletableFuture.runAsync(() -> {
        try {
          Process p = new ProcessBuilder("ssh", "-i", ssh.clientKey.toString(), "-o", "UserKnownHostsFile=" + ssh.knownHosts,
              "-o", "BatchMode=yes", "-p", String.valueOf(ssh.port), ssh.user + "@127.0.0.1",
              "tmux -L " + ssh.tmuxSocket + "-anchor new-session -d -s " + session + " true").redirectErrorStream(true).start();
          String out = new String(p.getInputStream().readAllBytes());
          if (p.waitFor() != 0) throw new IllegalStateException("ssh failed: " + out);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, pool));
    }
    CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).join();
    double perSecond = commands / ((System.nanoTime() - t0) / 1e9);
    pool.shutdownNow();
    return perSecond;
  }

  static Result run(SshServer ssh, Path base, boolean watch, int analyses, long spacingMillis) throws Exception {
    Path results = Files.createDirectories(base.resolve("results"));
    Map<String, Object> settings = new HashMap<>(ssh.pipeline("bench", "true {result_dir}", results, "12h"));
    settings.put("lims.analysis.pipelines.bench.tmux-socket", ssh.tmuxSocket + (watch ? "-w" : "-r"));
    settings.put("lims.analysis.default-pipeline", "bench");
    settings.put("lims.analysis.results.watch", watch);
    DeviceBench bench = new DeviceBench();
    bench.startNode(settings);
    bench.header("Analyses benchmark (`./lims bench analyses`)");
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try {
      // One at a time first: the latency of a dispatch with nothing queued.
      Percentiles single = new Percentiles();
      if (watch) {
        for (String id : inExperiment(bench, pool, 20)) {
          bench.call("POST", "/api/v1/specimens/" + id + "/transitions", "{\"action\":\"finish_experiment\"}");
          awaitCount(bench, "SELECT COUNT(*) FROM analysis WHERE state = 'running' AND specimen_id = '" + id + "'", 1, Duration.ofMinutes(1));
          JsonNode a = bench.call("GET", "/api/v1/analyses/AN-" + id + "-1", null);
          single.add(Duration.between(Instant.parse(a.get("requested_at").asText()), Instant.parse(a.get("dispatched_at").asText())).toNanos());
        }
      }
      List<String> specimens = inExperiment(bench, pool, analyses);
      CompletableFuture.allOf(specimens.stream().map(id -> CompletableFuture.runAsync(() ->
          bench.call("POST", "/api/v1/specimens/" + id + "/transitions", "{\"action\":\"finish_experiment\"}"), pool))
          .toArray(CompletableFuture[]::new)).join();
      awaitCount(bench, "SELECT COUNT(*) FROM analysis WHERE state = 'running'", analyses + single.count(), Duration.ofMinutes(5));
      Percentiles dispatch = new Percentiles();
      Instant first = Instant.MAX;
      Instant last = Instant.MIN;
      for (String id : specimens) {
        JsonNode a = bench.call("GET", "/api/v1/analyses/AN-" + id + "-1", null);
        Instant requested = Instant.parse(a.get("requested_at").asText());
        Instant dispatched = Instant.parse(a.get("dispatched_at").asText());
        dispatch.add(Duration.between(requested, dispatched).toNanos());
        if (requested.isBefore(first)) first = requested;
        if (dispatched.isAfter(last)) last = dispatched;
      }
      double perSecond = analyses / (Duration.between(first, last).toNanos() / 1e9);

      // Results arrive open-loop, one every spacingMillis, each by temporary name and rename.
      Map<String, Instant> renamedAt = new ConcurrentHashMap<>();
      long next = System.nanoTime();
      for (String id : specimens) {
        LockSupport.parkNanos(next - System.nanoTime());
        next += spacingMillis * 1_000_000;
        String analysisId = "AN-" + id + "-1";
        Path folder = Files.createDirectories(results.resolve(analysisId));
        Path temp = folder.resolve(".result.json.tmp");
        Files.writeString(temp, "{\"status\":\"succeeded\",\"reads\":1}");
        Files.move(temp, folder.resolve("result.json"), StandardCopyOption.ATOMIC_MOVE);
        renamedAt.put(id, Instant.now());
      }
      awaitCount(bench, "SELECT COUNT(*) FROM specimen WHERE state = 'IN_REVIEW'", analyses, Duration.ofMinutes(5));
      Percentiles recorded = new Percentiles();
      Percentiles inReview = new Percentiles();
      for (String id : specimens) {
        Instant renamed = renamedAt.get(id);
        JsonNode a = bench.call("GET", "/api/v1/analyses/AN-" + id + "-1", null);
        recorded.add(Duration.between(renamed, Instant.parse(a.get("finished_at").asText())).toNanos());
        for (JsonNode h : bench.call("GET", "/api/v1/specimens/" + id + "/history", null)) {
          if (h.get("action").asText().equals("analysis_succeeded")) inReview.add(Duration.between(renamed, Instant.parse(h.get("at").asText())).toNanos());
        }
      }
      return new Result(String.join("\n", bench.report), single, perSecond, dispatch, recorded, inReview);
    } finally {
      pool.shutdownNow();
      bench.stopNode();
    }
  }

  static List<String> inExperiment(DeviceBench bench, ExecutorService pool, int count) {
    List<CompletableFuture<String>> walking = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      walking.add(CompletableFuture.supplyAsync(() -> {
        String id = bench.call("POST", "/api/v1/specimens", "{\"client_ref\":\"bench\",\"type\":\"tissue\",\"tests_requested\":[\"wgs\"]}")
            .get("id").asText();
        for (String action : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc", "start_experiment")) {
          bench.call("POST", "/api/v1/specimens/" + id + "/transitions", "{\"action\":\"" + action + "\"}");
        }
        return id;
      }, pool));
    }
    return walking.stream().map(CompletableFuture::join).toList();
  }

  static void awaitCount(DeviceBench bench, String sql, long expected, Duration atMost) throws Exception {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (bench.longScalar(sql) < expected) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("not reached in " + atMost + ": " + sql);
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }
}
