package lims.http;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import lims.kernel.Database;
import lims.kernel.Failures;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this node can serve its purpose now, and if not, which of its checks says why
 * (decision 0039). {@code GET /ready} and the management port's {@code /ready} both answer
 * from here. Four checks, run together, each within the check time-out
 * ({@code pekko.management.health-checks.check-timeout}):
 * <ul>
 *   <li>{@code membership}: this node is an Up cluster member;
 *   <li>{@code sharding}: every shard region of this node is registered with its coordinator,
 *       and the coordinator answers (a question each region forwards to it);
 *   <li>{@code journal}: the event journal reads (the highest sequence number of a probe id,
 *       through the journal's circuit breaker and pool, as an entity's recovery does), so an
 *       open breaker or a failing journal pool says so;
 *   <li>{@code database}: the service's own pool gives a connection that answers.
 * </ul>
 * A check with no answer by the time-out has failed. Load balancers probe about once a second
 * each: probes arriving while a run is under way, or within {@link #REUSE} of its end, share it.
 */
public final class Readiness implements Extension {

  private static final Logger log = LoggerFactory.getLogger(Readiness.class);

  /** How long a finished run's report is given again. */
  static final Duration REUSE = Duration.ofSeconds(1);
  /** The journal is asked about this persistence id, which no entity has. */
  static final String JOURNAL_PROBE_ID = "lims-readiness-probe";
  /** Beyond each check's own bound: the answer comes even should a check ignore it. */
  private static final Duration SAFETY_MARGIN = Duration.ofMillis(500);

  private static final ExtensionId<Readiness> ID =
      new ExtensionId<>() {
        @Override
        public Readiness createExtension(ActorSystem<?> system) {
          return new Readiness(nodeChecks(system),
              system.settings().config().getDuration("pekko.management.health-checks.check-timeout"));
        }
      };

  /** One check: given its bound, empty when it passes, else why it does not. */
  record Check(String name, Function<Duration, CompletionStage<Optional<String>>> probe) {}

  /** Each check's outcome, in the checks' order: "ok", or why not. */
  /** The answer of a node that is ready: every check, each "ok". */
  record ReadyView(String status, Map<String, String> checks) {}

  record Report(Map<String, String> checks) {
    static final String OK = "ok";

    boolean ready() {
      return checks.values().stream().allMatch(OK::equals);
    }

    /** The failing checks and why, one line: "database: ...; journal: ...". */
    String failures() {
      return checks.entrySet().stream().filter(c -> !OK.equals(c.getValue()))
          .map(c -> c.getKey() + ": " + c.getValue()).collect(Collectors.joining("; "));
    }

    /** 200's body. */
    ReadyView body() {
      return new ReadyView("ready", checks);
    }

    /** 503's problem: the failing checks in its detail, every check in {@code checks}. */
    ProblemException problem() {
      return ProblemException.unavailable("not ready: " + failures(), Map.of("checks", checks));
    }
  }

  private final List<Check> checks;
  private final Duration bound;
  private final LongSupplier nanoTime;
  private final AtomicReference<Run> last = new AtomicReference<>();
  private volatile Boolean wasReady;

  Readiness(List<Check> checks, Duration bound) {
    this(checks, bound, System::nanoTime);
  }

  /** With the test's clock for {@link #REUSE}. */
  Readiness(List<Check> checks, Duration bound, LongSupplier nanoTime) {
    this.checks = List.copyOf(checks);
    this.bound = bound;
    this.nanoTime = nanoTime;
  }

  public static Readiness get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The current report: a run under way or just finished, else a new run. */
  CompletionStage<Report> report() {
    while (true) {
      Run current = last.get();
      if (current != null && current.fresh()) return current.report.copy();
      Run next = new Run();
      if (last.compareAndSet(current, next)) {
        run().thenAccept(report -> {
          next.finishedAt = nanoTime.getAsLong(); // before it is done: fresh() reads it then
          next.report.complete(report);
          logChange(report);
        });
        return next.report.copy();
      }
    }
  }

  private CompletionStage<Report> run() {
    List<CompletableFuture<String>> outcomes = new ArrayList<>();
    for (Check check : checks) outcomes.add(bounded(check));
    return CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
      Map<String, String> byName = new LinkedHashMap<>();
      for (int i = 0; i < checks.size(); i++) byName.put(checks.get(i).name(), outcomes.get(i).join());
      return new Report(java.util.Collections.unmodifiableMap(byName));
    });
  }

  /** The check's outcome: never a failure, and never later than its bound (plus a margin). */
  private CompletableFuture<String> bounded(Check check) {
    CompletableFuture<Optional<String>> outcome;
    try {
      outcome = check.probe().apply(bound).toCompletableFuture();
    } catch (RuntimeException e) {
      outcome = CompletableFuture.failedFuture(e);
    }
    return outcome
        .completeOnTimeout(Optional.of("no answer within " + bound.toMillis() + " ms"),
            bound.plus(SAFETY_MARGIN).toMillis(), TimeUnit.MILLISECONDS)
        .handle((whyNot, failure) -> failure == null ? whyNot.orElse(Report.OK)
            : Failures.cause(failure) instanceof TimeoutException ? "no answer within " + bound.toMillis() + " ms"
            : Failures.message(failure));
  }

  private void logChange(Report report) {
    Boolean before = wasReady;
    wasReady = report.ready();
    if (report.ready() && Boolean.FALSE.equals(before)) log.info("ready again");
    if (!report.ready() && !Boolean.FALSE.equals(before)) log.warn("not ready: {}", report.failures());
  }

  private final class Run {
    final CompletableFuture<Report> report = new CompletableFuture<>();
    volatile long finishedAt;

    boolean fresh() {
      return !report.isDone() || nanoTime.getAsLong() - finishedAt < REUSE.toNanos();
    }
  }

  /** The node's four checks. */
  static List<Check> nodeChecks(ActorSystem<?> system) {
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    Cluster cluster = Cluster.get(classic);
    Database database = Database.get(system);
    return List.of(
        new Check("membership", bound -> CompletableFuture.completedFuture(membership(cluster))),
        new Check("sharding", bound -> sharding(ClusterSharding.get(classic), cluster.selfAddress(), bound)),
        new Check("journal", bound -> journal(classic, bound)),
        new Check("database", bound -> database.connectionValid(bound)
            .toCompletableFuture()
            .orTimeout(bound.toMillis(), TimeUnit.MILLISECONDS)
            .thenApply(valid -> valid ? Optional.<String>empty() : Optional.of("a connection failed its validity check"))));
  }

  private static Optional<String> membership(Cluster cluster) {
    MemberStatus status = cluster.selfMember().status();
    // A node that has not joined yet counts as Removed.
    return status == MemberStatus.up() ? Optional.empty()
        : Optional.of("not an Up cluster member (its status: " + status.toString().toLowerCase(java.util.Locale.ROOT) + ")");
  }

  /**
   * Asks every shard region of this node for the regions its coordinator knows: the region
   * forwards the question to the coordinator, so an answer proves one answers, and that it lists
   * this node proves the region is registered. A region that knows no coordinator answers an
   * empty list.
   */
  private static CompletionStage<Optional<String>> sharding(ClusterSharding sharding, Address self, Duration bound) {
    List<String> types = sharding.getShardTypeNames().stream().sorted().toList();
    List<CompletableFuture<String>> problems = types.stream()
        .map(type -> Patterns.ask(sharding.shardRegion(type), ShardRegion.getCurrentRegionsInstance(), bound)
            .toCompletableFuture()
            .handle((reply, failure) -> failure != null ? "unanswered"
                : ((ShardRegion.CurrentRegions) reply).getRegions().contains(self) ? "" : "unregistered"))
        .toList();
    return CompletableFuture.allOf(problems.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
      List<String> unanswered = new ArrayList<>();
      List<String> unregistered = new ArrayList<>();
      for (int i = 0; i < types.size(); i++) {
        String problem = problems.get(i).join();
        if (problem.equals("unanswered")) unanswered.add(types.get(i));
        if (problem.equals("unregistered")) unregistered.add(types.get(i));
      }
      List<String> why = new ArrayList<>();
      if (!unanswered.isEmpty()) {
        why.add("no shard coordinator answered within " + bound.toMillis() + " ms for " + some(unanswered));
      }
      if (!unregistered.isEmpty()) {
        why.add("this node's shard regions are not registered with a coordinator for " + some(unregistered));
      }
      return why.isEmpty() ? Optional.<String>empty() : Optional.of(String.join("; ", why));
    });
  }

  /** A few names, and how many more: entity types first, then the projections' long names. */
  private static String some(List<String> names) {
    int shown = Math.min(names.size(), 4);
    return String.join(", ", names.subList(0, shown)) + (names.size() > shown ? " and " + (names.size() - shown) + " more" : "");
  }

  /**
   * Asks the journal for the highest sequence number of {@link #JOURNAL_PROBE_ID}, as an
   * entity's recovery does, through the journal's circuit breaker: an open breaker or a failing
   * pool answers the failure. One indexed read, no write: probes never grow the journal.
   * (JournalProtocol is how persistent actors talk to their journal; Pekko keeps it internal,
   * and nothing public reaches the breaker.)
   */
  private static CompletionStage<Optional<String>> journal(org.apache.pekko.actor.ActorSystem classic, Duration bound) {
    org.apache.pekko.actor.ActorRef journal = Persistence.get(classic).journalFor("", ConfigFactory.empty());
    return Patterns.askWithReplyTo(journal, replyTo -> new JournalProtocol.ReplayMessages(1L, 0L, 0L, JOURNAL_PROBE_ID, replyTo), bound)
        .handle((reply, failure) -> {
          if (failure != null) return Optional.of("no answer within " + bound.toMillis() + " ms");
          if (reply instanceof JournalProtocol.ReplayMessagesFailure f) return Optional.of(Failures.message(f.cause()));
          return Optional.<String>empty();
        });
  }
}
