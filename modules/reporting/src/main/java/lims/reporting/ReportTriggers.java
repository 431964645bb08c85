package lims.reporting;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.specimen.Specimens;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;

/**
 * The {@code report-triggers} reaction: a specimen reaching APPROVED queues its report, with
 * nobody asking (decision 0058). Per {@link Grouping}: a report of its own, or, when it
 * belongs to a test batch, one report for its home batch's specimens of its client (see
 * {@link BatchMembers#homeOf}) once none of them waits for approval any more (cancelled and
 * resampled ones are left out, and their leaving can be what completes a batch). At least once: each automatic report's trigger
 * key is fixed, so a replayed event queues nothing new.
 */
public final class ReportTriggers extends Handler<EventEnvelope<Specimen.Event>> {

  public static final String NAME = "report-triggers";

  /** How automatic reports group specimens ({@code lims.reports.grouping}). */
  public enum Grouping { SPECIMEN, BATCH }

  /** States a batch member no longer holds its batch's report back from. */
  private static final Set<SpecimenState> SETTLED = settled();

  private static Set<SpecimenState> settled() {
    Set<SpecimenState> settled = EnumSet.copyOf(Reportable.STATES);
    settled.addAll(Reportable.LEFT_OUT);
    return settled;
  }

  private final Grouping grouping;
  private final Specimens specimens;
  private final BatchMembers batches;
  private final ReportJobs jobs;
  private final Runnable queued;

  /** {@code queued} is told when a job was queued, so this node's worker claims it at once. */
  public ReportTriggers(Grouping grouping, Specimens specimens, BatchMembers batches, ReportJobs jobs, Runnable queued) {
    this.grouping = grouping;
    this.specimens = specimens;
    this.batches = batches;
    this.jobs = jobs;
    this.queued = queued;
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Specimen.Event> envelope) {
    if (!(envelope.event() instanceof Specimen.SpecimenTransitioned e) || !SETTLED.contains(e.to())) return done();
    if (grouping == Grouping.SPECIMEN) return e.to() == SpecimenState.APPROVED ? ofSpecimen(e.specimenId()) : done();
    return batches.homeOf(e.specimenId()).thenCompose(home -> {
      if (home.isPresent()) return ofBatch(home.get());
      return e.to() == SpecimenState.APPROVED ? ofSpecimen(e.specimenId()) : done();
    });
  }

  /**
   * The specimen's own report, while it is still APPROVED: a replayed approval of a specimen
   * reported and delivered long ago (this reaction's first run on a lab's existing journal,
   * say) queues nothing, and sends nothing to its client again.
   */
  private CompletionStage<Done> ofSpecimen(String specimenId) {
    return specimens.ask(specimenId, Specimen.Get::new).thenCompose(reply -> reply instanceof Specimen.Current current
        && current.specimen().state() == SpecimenState.APPROVED ? queue("auto:specimen:" + specimenId, List.of(specimenId), null) : done());
  }

  /**
   * The batch's report per client, once every member of that client is settled and one at
   * least still APPROVED (so a replay of a batch reported long ago queues nothing).
   */
  private CompletionStage<Done> ofBatch(String batchKey) {
    return batches.membersAtHome(batchKey).thenCompose(members -> {
      List<CompletableFuture<Specimen.Reply>> states = members.stream().map(id -> specimens.ask(id, Specimen.Get::new).toCompletableFuture()).toList();
      return CompletableFuture.allOf(states.toArray(CompletableFuture[]::new)).thenCompose(x -> {
        Map<String, List<Specimen.State>> byClient = new LinkedHashMap<>();
        for (CompletableFuture<Specimen.Reply> reply : states) {
          if (reply.join() instanceof Specimen.Current current) {
            byClient.computeIfAbsent(Objects.toString(current.specimen().registration().clientId(), "-"), k -> new ArrayList<>()).add(current.specimen());
          }
        }
        CompletionStage<Done> all = done();
        for (Map.Entry<String, List<Specimen.State>> client : byClient.entrySet()) {
          List<Specimen.State> group = client.getValue();
          boolean settled = group.stream().allMatch(s -> SETTLED.contains(s.state()));
          List<String> reportable = group.stream().filter(s -> !Reportable.LEFT_OUT.contains(s.state())).map(Specimen.State::id).sorted().toList();
          if (settled && group.stream().anyMatch(s -> s.state() == SpecimenState.APPROVED)) {
            all = all.thenCompose(y -> queue("auto:batch:" + batchKey + ":" + client.getKey(), reportable, batchKey));
          }
        }
        return all;
      });
    });
  }

  private CompletionStage<Done> queue(String triggerKey, List<String> specimenIds, String batchKey) {
    return jobs.enqueue(triggerKey, Optional.empty(), specimenIds, batchKey, "system").thenApply(job -> {
      queued.run();
      return Done.getInstance();
    });
  }

  private static CompletionStage<Done> done() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
