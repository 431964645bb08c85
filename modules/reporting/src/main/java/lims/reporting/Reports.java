package lims.reporting;

import com.typesafe.config.Config;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import lims.kernel.Backoff;
import lims.kernel.Database;
import lims.kernel.Refusal;
import lims.kernel.Rejection;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import lims.specimen.Specimen;
import lims.specimen.Specimens;
import lims.specimen.TestBatch;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The reporting context's entry point: the render queue and this node's worker, the
 * automatic triggers, the archive of stored reports, and requests for a report by hand.
 */
public final class Reports {

  /** At most this many specimens in one report asked for by hand. */
  public static final int MAX_SPECIMENS = 200;

  private final Specimens specimens;
  private final ReportJobs jobs;
  private final ReportArchive archive;
  private final RenderWorker worker;

  public Reports(ActorSystem<?> system, Specimens specimens, ReportMaker maker, ReportDelivery delivery, MeterRegistry registry) {
    Config config = system.settings().config().getConfig("lims.reports");
    Database database = Database.get(system);
    this.specimens = specimens;
    this.jobs = new ReportJobs(database);
    this.archive = new ReportArchive(database);
    Config render = config.getConfig("render");
    RenderSlots slots = new RenderSlots(render.getInt("concurrency"), render.getDuration("stop-grace"), render.getInt("nice"));
    RenderWorker.Settings settings = new RenderWorker.Settings(render.getDuration("time-limit"), render.getInt("attempts"),
        new Backoff(render.getDuration("min-backoff"), render.getDuration("max-backoff")), render.getDuration("lease"),
        render.getDuration("poll-interval"));
    String owner = system.address() + "#" + UUID.randomUUID();
    this.worker = new RenderWorker(system, jobs, maker, slots, new ReportFiling(specimens, archive, delivery)::file, settings, owner, registry);
    BatchMembers batches = new BatchMembers(ReadTable.of(system, BatchMembers.NAME, TestBatch.TAGS));
    Projections.<TestBatch.Event>start(system, BatchMembers.NAME, TestBatch.TAGS, tag -> new BatchMembers.Projection());
    if (config.getBoolean("automatic")) {
      ReportTriggers.Grouping grouping = ReportTriggers.Grouping.valueOf(config.getString("grouping").toUpperCase());
      Projections.<Specimen.Event>startReaction(system, ReportTriggers.NAME, Specimen.TAGS,
          tag -> new ReportTriggers(grouping, specimens, batches, jobs, worker::nudge));
    }
    AtomicLong depth = new AtomicLong();
    Gauge.builder("lims.report.queue.depth", depth, AtomicLong::get).description("render jobs queued, rendering or being filed")
        .register(registry);
    system.scheduler().scheduleWithFixedDelay(java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(5),
        () -> jobs.depth().thenAccept(depth::set), system.executionContext());
    worker.start();
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "stop-render-worker", worker::stop);
  }

  /**
   * Queues a report of {@code specimenIds} asked for by {@code userId} (a new report id). Every
   * specimen must exist (404 naming the unknown ones), be approved or reported already (409),
   * and be one client's (400): a report goes to one client.
   */
  public CompletionStage<ReportJobs.Job> request(List<String> specimenIds, String userId, Optional<String> requestKey) {
    List<CompletableFuture<Specimen.Reply>> replies = specimenIds.stream().map(id -> specimens.ask(id, Specimen.Get::new).toCompletableFuture()).toList();
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).thenCompose(all -> {
      List<String> unknown = new java.util.ArrayList<>();
      List<String> notApproved = new java.util.ArrayList<>();
      java.util.Set<String> clients = new java.util.TreeSet<>();
      for (int i = 0; i < replies.size(); i++) {
        if (!(replies.get(i).join() instanceof Specimen.Current current)) {
          unknown.add(specimenIds.get(i));
          continue;
        }
        if (!Reportable.STATES.contains(current.specimen().state())) notApproved.add(specimenIds.get(i) + " is " + current.specimen().state());
        clients.add(String.valueOf(current.specimen().registration().clientId()));
      }
      if (!unknown.isEmpty()) throw new Refusal(Rejection.notFound("unknown specimens: " + unknown));
      if (!notApproved.isEmpty()) {
        throw new Refusal(Rejection.conflict("a report needs approved specimens: " + String.join(", ", notApproved)));
      }
      if (clients.size() > 1) throw new Refusal(Rejection.invalid("the specimens belong to different clients: " + clients));
      return jobs.enqueue(manualTrigger(userId, "report", requestKey), Optional.empty(), specimenIds.stream().distinct().sorted().toList(), null,
          userId);
    }).thenApply(this::queued);
  }

  /** Queues a new version of {@code reportId}, of the same specimens (404 when there is no such report). */
  public CompletionStage<ReportJobs.Job> rerender(String reportId, String userId, Optional<String> requestKey) {
    return archive.versions(reportId).thenCompose(versions -> {
      if (versions.isEmpty()) throw new Refusal(Rejection.notFound("no report " + reportId));
      StoredReport latest = versions.get(0);
      return jobs.enqueue(manualTrigger(userId, reportId, requestKey), Optional.of(reportId), latest.specimenIds(), latest.batchKey(), userId);
    }).thenApply(this::queued);
  }

  /**
   * A request's trigger key: its caller's Idempotency-Key, so a request sent again (after a
   * time-out, say) answers the job the first one queued; without a key, a new one each time.
   */
  private static String manualTrigger(String userId, String what, Optional<String> requestKey) {
    String key = requestKey.map(k -> userId + "\n" + what + "\n" + k).orElseGet(() -> UUID.randomUUID().toString());
    try {
      return "manual:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private ReportJobs.Job queued(ReportJobs.Job job) {
    nudge();
    return job;
  }

  /** Tells this node's worker a job is due (one was queued or retried here). */
  public void nudge() {
    worker.nudge();
  }

  public ReportJobs jobs() {
    return jobs;
  }

  public ReportArchive archive() {
    return archive;
  }
}
