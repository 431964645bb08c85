package lims.reporting;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import lims.kernel.Backoff;
import lims.kernel.Failures;
import lims.reporting.ReportJobs.Job;
import lims.reporting.render.ReportTooLarge;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's render worker (decision 0058): claims due render jobs from the durable queue while
 * it has a free render slot, renders each in {@link RenderSlots} under the time limit,
 * stores it, and hands it to its {@link Filing} (the specimens' report_rendered, then delivery).
 *
 * <p>A try that fails (the time limit, an error) is queued again with back-off until the
 * job has had its tries, then it is failed with the reason; a report refused outright (too
 * large, a specimen no longer reportable) fails at once. While a job renders its lease is
 * renewed; a node that stops mid-render stops renewing, and once the lease lapses another
 * node claims the job and renders it, once: only the lease holder can store it.
 */
public final class RenderWorker {

  private static final Logger log = LoggerFactory.getLogger(RenderWorker.class);

  /** Why a report can never render: failed at once, not tried again. */
  public static final class Unreportable extends RuntimeException {
    public Unreportable(String reason) {
      super(reason);
    }
  }

  /** What follows a stored render: the specimens are told, the report goes to delivery (repeatable). */
  @FunctionalInterface
  public interface Filing {
    CompletionStage<org.apache.pekko.Done> file(Job job);
  }

  /** The worker's settings ({@code lims.reports.render}). */
  public record Settings(Duration timeLimit, int attempts, Backoff backoff, Duration lease, Duration pollInterval) {}

  private final ActorSystem<?> system;
  private final ReportJobs jobs;
  private final ReportMaker maker;
  private final RenderSlots slots;
  private final Filing filing;
  private final Settings settings;
  private final String owner;
  private final Timer renderTime;
  private final Counter failures;
  private final AtomicBoolean claiming = new AtomicBoolean();
  private final Set<Long> working = ConcurrentHashMap.newKeySet();
  private volatile boolean stopped;
  private Cancellable poll;

  public RenderWorker(ActorSystem<?> system, ReportJobs jobs, ReportMaker maker, RenderSlots slots, Filing filing, Settings settings,
      String owner, MeterRegistry registry) {
    this.system = system;
    this.jobs = jobs;
    this.maker = maker;
    this.slots = slots;
    this.filing = filing;
    this.settings = settings;
    this.owner = owner;
    this.renderTime = Timer.builder("lims.report.render.time").description("time to render a report (PDF and workbook)")
        .publishPercentileHistogram().register(registry);
    this.failures = Counter.builder("lims.report.render.failures").description("render tries that failed (time limit, error, refused)")
        .register(registry);
  }

  public void start() {
    poll = system.scheduler().scheduleWithFixedDelay(settings.pollInterval(), settings.pollInterval(), this::nudge, system.executionContext());
  }

  /**
   * Stops claiming (the node is leaving) and lets go of the jobs under way here, so another
   * node renders them at once rather than after their lease.
   */
  public CompletionStage<org.apache.pekko.Done> stop() {
    stopped = true;
    if (poll != null) poll.cancel();
    slots.interruptAll();
    List<CompletableFuture<Boolean>> released = working.stream().map(id -> jobs.letGo(id, owner).toCompletableFuture()).toList();
    return CompletableFuture.allOf(released.toArray(CompletableFuture[]::new)).handle((x, failure) -> {
      if (failure != null) log.warn("letting go of render jobs {} failed; their leases will lapse: {}", working, failure.getMessage());
      else if (!working.isEmpty()) log.info("let go of render jobs {} for another node", working);
      return org.apache.pekko.Done.getInstance();
    });
  }

  /** Claims jobs while a slot is free: on every poll, and at once when this node queues one. */
  public void nudge() {
    if (stopped || !claiming.compareAndSet(false, true)) return;
    Optional<RenderSlots.Slot> slot = slots.reserve();
    if (slot.isEmpty()) {
      claiming.set(false);
      return;
    }
    jobs.claim(owner, settings.lease()).whenComplete((job, failure) -> {
      claiming.set(false);
      if (failure != null) log.warn("claiming a render job failed: {}", Failures.cause(failure).getMessage());
      if (failure != null || job.isEmpty()) {
        slot.get().release();
        return;
      }
      if (job.get().status() == ReportJobs.Status.RENDERING && job.get().attempts() > settings.attempts()) {
        // Its render ended with its node every time (a render that kills the JVM would crash node after node).
        slot.get().release();
        String reason = "its render was cut short " + (job.get().attempts() - 1) + " times: the node rendering it stopped or died";
        log.error("report {} (job {}) failed: {}", job.get().reportId(), job.get().jobId(), reason);
        jobs.failed(job.get().jobId(), owner, reason, null).whenComplete((x, f) -> nudge());
        return;
      }
      work(job.get(), slot.get());
      nudge();
    });
  }

  private void work(Job job, RenderSlots.Slot slot) {
    working.add(job.jobId());
    Cancellable renewal = system.scheduler().scheduleWithFixedDelay(settings.lease().dividedBy(3), settings.lease().dividedBy(3),
        () -> jobs.renew(job.jobId(), owner, settings.lease()), system.executionContext());
    CompletionStage<Boolean> stored;
    if (job.status() == ReportJobs.Status.STORED) {
      slot.release(); // only the filing is left: nothing to render
      stored = CompletableFuture.completedFuture(true);
    } else {
      stored = render(job, slot);
    }
    stored.thenCompose(ok -> ok ? file(job) : CompletableFuture.completedFuture(false))
        .whenComplete((ok, failure) -> {
          renewal.cancel();
          working.remove(job.jobId());
          slot.release(); // when the render never started (its preparation failed)
          nudge();
        });
  }

  private CompletionStage<Boolean> render(Job job, RenderSlots.Slot slot) {
    long started = System.nanoTime();
    return jobs.nextVersion(job.reportId())
        .thenCompose(version -> maker.prepare(job, version)
            .thenCompose(render -> slot.run(job.reportId() + " v" + version, render, settings.timeLimit()).handle((draft, failure) -> {
              if (failure != null) throw new RenderFailed(Failures.cause(failure));
              return draft;
            }))
            .thenCompose(draft -> {
              renderTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
              return jobs.store(job, owner, version, draft);
            }))
        .thenApply(stored -> {
          if (!stored) log.warn("render job {} ({}) was taken over by another node: not stored here", job.jobId(), job.reportId());
          return stored;
        })
        .exceptionallyCompose(failure -> tryFailed(job, Failures.cause(failure)).thenApply(x -> false));
  }

  /**
   * A failed try. The render's own failure counts as a try: it is queued again after a
   * back-off, or failed after its last try; a report too large, or one of a specimen no longer
   * reportable, fails at once. Anything else (the database, an entity not answering in time)
   * is no fault of the report: queued again without counting.
   */
  private CompletionStage<Boolean> tryFailed(Job job, Throwable cause) {
    if (stopped) { // interrupted by the node's stop: not a failure of the report; another node renders it
      log.info("render of {} (job {}) stopped with the node", job.reportId(), job.jobId());
      return CompletableFuture.completedFuture(false);
    }
    if (!(cause instanceof RenderFailed) && !(cause instanceof Unreportable)) {
      String reason = "not rendered this time: " + describe(cause);
      log.warn("report {} (job {}): {}", job.reportId(), job.jobId(), reason);
      return jobs.interrupted(job.jobId(), owner, reason, settings.backoff().min());
    }
    failures.increment();
    Throwable why = cause instanceof RenderFailed ? cause.getCause() : cause;
    String reason = why instanceof TimeoutException ? "time limit: " + why.getMessage() : describe(why);
    boolean permanent = why instanceof Unreportable || why instanceof ReportTooLarge;
    boolean lastTry = job.attempts() >= settings.attempts();
    Duration retryAfter = permanent || lastTry ? null : settings.backoff().after(job.attempts());
    if (retryAfter == null) {
      log.error("report {} (job {}) failed after {} tries: {}", job.reportId(), job.jobId(), job.attempts(), reason);
    } else {
      log.warn("report {} (job {}) try {} failed, again in {}: {}", job.reportId(), job.jobId(), job.attempts(), retryAfter, reason);
    }
    return jobs.failed(job.jobId(), owner, reason, retryAfter);
  }

  private static String describe(Throwable cause) {
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }

  /** The render itself failed (as opposed to gathering its content or storing it). */
  private static final class RenderFailed extends RuntimeException {
    RenderFailed(Throwable cause) {
      super(cause.getMessage(), cause, false, false);
    }
  }

  private CompletionStage<Boolean> file(Job job) {
    return jobs.get(job.jobId())
        .thenCompose(current -> filing.file(current.orElseThrow()))
        .thenCompose(x -> jobs.done(job.jobId(), owner))
        .exceptionallyCompose(failure -> {
          String reason = "stored, but telling its specimens or deliveries failed: " + Failures.cause(failure).getMessage();
          log.warn("report job {} ({}): {}", job.jobId(), job.reportId(), reason);
          return jobs.postpone(job.jobId(), owner, reason, settings.backoff().min());
        });
  }
}
