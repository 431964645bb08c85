package lims.specimen;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import lims.kernel.CborSerializable;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.Role;
import lims.kernel.WireNames;
import lims.kernel.projection.EventTags;
import lims.specimen.TransitionTable.Action;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import lims.kernel.ShardedEntity;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A specimen a client sent in (the lab-automation "sample" is the same entity). Invariant:
 * it moves only along {@link TransitionTable}, one action at a time, and every change is
 * an event carrying its custody record, so its journal is its complete chain of custody.
 */
public final class Specimen extends ShardedEntity<Specimen.Command, Specimen.Event, Specimen.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "Specimen");
  public static final EventTags TAGS = new EventTags("specimen", 4);
  /** Wells of a 96-well plate: rows A–H, columns 1–12. */
  public static final Pattern WELL = Pattern.compile("[A-H](1[0-2]|[1-9])");

  // --- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits Register, Transition, SetLocation, Get {
    ActorRef<Reply> replyTo();
  }

  /**
   * What a specimen is registered with. {@code clientId}: the code of the {@link Client} it was
   * sent by, null for none ({@code clientRef} stays the client's own reference);
   * {@code reportRecipients}: addresses its report goes to beside the client's report contacts,
   * empty for none (also for specimens registered before either existed).
   */
  public record Registration(String clientRef, String type, List<String> testsRequested, Instant collectedAt, String priority,
      String replacesSpecimenId, String clientId, List<String> reportRecipients) implements CborSerializable {
    public Registration {
      reportRecipients = reportRecipients == null ? List.of() : List.copyOf(reportRecipients);
    }

    /** A registration for no client and no extra recipients. */
    public Registration(String clientRef, String type, List<String> testsRequested, Instant collectedAt, String priority,
        String replacesSpecimenId) {
      this(clientRef, type, testsRequested, collectedAt, priority, replacesSpecimenId, null, List.of());
    }

    /** The replacement of {@code specimenId}: the same client, type, tests, priority and recipients, collected anew. */
    Registration replacementOf(String specimenId) {
      return new Registration(clientRef, type, testsRequested, null, priority, specimenId, clientId, reportRecipients);
    }
  }

  public record Register(Registration registration, Custody custody, ActorRef<Reply> replyTo) implements Command {}

  /** Take an action; {@code expectedState}, when given, must still hold. */
  public record Transition(String action, Optional<SpecimenState> expectedState, Map<String, Object> data, Custody custody,
      ActorRef<Reply> replyTo) implements Command {}

  public record SetLocation(String plate, String well, Custody custody, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Current, Rejected {}

  public record Current(State specimen) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply, lims.kernel.Refused {}

  public sealed interface Event extends CborSerializable
      permits SpecimenRegistered, SpecimenTransitioned, LocationSet, AnalysisRequested, AnalysisCancellationRequested, ReplacementRequested {}

  public record SpecimenRegistered(String specimenId, String barcode, Registration registration, Custody custody) implements Event {}

  public record SpecimenTransitioned(String specimenId, String action, SpecimenState from, SpecimenState to, Map<String, Object> data,
      Custody custody) implements Event {}

  public record LocationSet(String specimenId, String plate, String well, Custody custody) implements Event {}

  /**
   * Entering IN_ANALYSIS asks for a new analysis run, numbered per specimen. {@code pipeline}
   * is the one the caller named, or null for the lab's choice by test; {@code parameters}
   * go into the pipeline's command (the API has checked them).
   */
  public record AnalysisRequested(String specimenId, String analysisId, String barcode, List<String> testsRequested, String pipeline,
      Map<String, String> parameters, Custody custody) implements Event {}

  /**
   * The compensation of leaving IN_ANALYSIS other than by the analysis's own outcome
   * (request_reexperiment, cancel, an outcome reported by hand): the in-flight analysis
   * {@code analysisId} must be cancelled and its results invalidated.
   */
  public record AnalysisCancellationRequested(String specimenId, String analysisId, String reason, Custody custody) implements Event {}

  /** request_resample asks for a linked replacement specimen with this id. */
  public record ReplacementRequested(String specimenId, String replacementId, Registration replacement, Custody custody) implements Event {}

  /** One link of the chain of custody. */
  public record HistoryEntry(String action, SpecimenState from, SpecimenState to, Custody custody, Map<String, Object> data)
      implements CborSerializable {}

  public record State(
      String id,
      String barcode,
      Registration registration,
      SpecimenState state,
      String plate,
      String well,
      String experimentFinishedBy,
      String replacementId,
      List<HistoryEntry> history,
      String currentAnalysisId,
      int analysisCount)
      implements CborSerializable {

    public boolean registered() {
      return registration != null;
    }

    public List<String> allowedActions() {
      return registered() ? TransitionTable.allowedActions(state) : List.of();
    }

    State with(SpecimenState to, HistoryEntry entry) {
      List<HistoryEntry> h = new ArrayList<>(history);
      h.add(entry);
      return new State(id, barcode, registration, to, plate, well, experimentFinishedBy, replacementId, List.copyOf(h), currentAnalysisId,
          analysisCount);
    }

    State withExperimentFinishedBy(String userId) {
      return new State(id, barcode, registration, state, plate, well, userId, replacementId, history, currentAnalysisId, analysisCount);
    }

    State withLocation(String plate, String well) {
      return new State(id, barcode, registration, state, plate, well, experimentFinishedBy, replacementId, history, currentAnalysisId,
          analysisCount);
    }

    State withReplacement(String replacementId) {
      return new State(id, barcode, registration, state, plate, well, experimentFinishedBy, replacementId, history, currentAnalysisId,
          analysisCount);
    }

    State withAnalysis(String analysisId) {
      return new State(id, barcode, registration, state, plate, well, experimentFinishedBy, replacementId, history, analysisId,
          analysisCount + 1);
    }
  }

  // --- behaviour ------------------------------------------------------------------------

  private final String specimenId;

  private Specimen(String specimenId) {
    super(PersistenceId.of(TYPE.name(), specimenId));
    this.specimenId = specimenId;
  }

  public static Behavior<Command> create(String specimenId) {
    return new Specimen(specimenId);
  }

  @Override
  public State emptyState() {
    return new State(specimenId, null, null, null, null, null, null, null, List.of(), null, 0);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return TAGS.tagSetFor(specimenId);
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forState(s -> !s.registered())
        .onCommand(Register.class, this::register)
        .onCommand(Command.class, (s, c) -> Effect().reply(c.replyTo(), new Rejected(Rejection.notFound("no specimen " + specimenId))));
    builder.forAnyState()
        .onCommand(Register.class, (s, c) -> Effect().reply(c.replyTo(), new Current(s)))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new Current(s)))
        .onCommand(Transition.class, this::transition)
        .onCommand(SetLocation.class, this::setLocation);
    return builder.build();
  }

  private ReplyEffect<Event, State> register(State s, Register c) {
    return Effect()
        .persist(new SpecimenRegistered(specimenId, Barcodes.forSpecimen(specimenId), c.registration(), c.custody()))
        .thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> transition(State s, Transition c) {
    Optional<TransitionTable.Transition> known = TransitionTable.action(c.action());
    if (known.isEmpty()) {
      return reject(c, Rejection.invalid("unknown action '" + c.action() + "'; actions are " + TransitionTable.actions()));
    }
    if (c.expectedState().isPresent() && c.expectedState().get() != s.state()) {
      return reject(c, conflict(s, "specimen " + specimenId + " is " + s.state() + ", not " + c.expectedState().get()));
    }
    Optional<TransitionTable.Transition> legal = TransitionTable.from(s.state(), c.action());
    if (legal.isEmpty()) {
      return reject(c, conflict(s, "'" + c.action() + "' is not allowed in state " + s.state()));
    }
    TransitionTable.Transition t = legal.get();
    Action action = t.kind();
    Optional<Role> role = Role.fromWireName(c.custody().role());
    if (role.isEmpty() || !t.roles().contains(role.get())) {
      return reject(c, Rejection.forbidden("'" + c.action() + "' needs one of the roles " + t.roles().stream().map(WireNames::of).sorted().toList()));
    }
    if (t.reasonRequired() && (c.custody().reason() == null || c.custody().reason().isBlank())) {
      return reject(c, new Rejection(Rejection.Kind.INVALID, "'" + c.action() + "' needs a reason", Map.of("field", "reason")));
    }
    if (action == Action.APPROVE && c.custody().userId().equals(s.experimentFinishedBy())) {
      return reject(c, Rejection.forbidden("the experiment was finished by " + s.experimentFinishedBy()
          + "; another reviewer must approve it"));
    }
    Object reportedBy = c.data().get("analysis_id");
    boolean outcome = action.reportsAnalysisOutcome();
    if (outcome && reportedBy != null && !reportedBy.equals(s.currentAnalysisId())) {
      return reject(c, conflict(s, "analysis " + reportedBy + " is not the current analysis of " + specimenId
          + " (" + s.currentAnalysisId() + ")"));
    }
    List<Event> events = new ArrayList<>();
    events.add(new SpecimenTransitioned(specimenId, c.action(), s.state(), t.to(), c.data(), c.custody()));
    // Leaving IN_ANALYSIS other than by the run's own outcome cancels the run; a re-experiment also invalidates a finished one.
    boolean runOverridden = s.state() == SpecimenState.IN_ANALYSIS && s.currentAnalysisId() != null && !(outcome && reportedBy != null);
    if (runOverridden || action == Action.REQUEST_REEXPERIMENT) {
      events.add(new AnalysisCancellationRequested(specimenId, s.currentAnalysisId(), c.custody().reason(), c.custody()));
    }
    if (t.to() == SpecimenState.IN_ANALYSIS) {
      events.add(analysisRequested(s, c));
    }
    if (action == Action.REQUEST_RESAMPLE) {
      Object replacement = c.data().get("replacement_id");
      if (!(replacement instanceof String replacementId)) {
        return reject(c, Rejection.invalid(action.wireName() + " needs the id allocated for the replacement"));
      }
      events.add(new ReplacementRequested(specimenId, replacementId, s.registration().replacementOf(specimenId), c.custody()));
    }
    return Effect().persist(events).thenReply(c.replyTo(), Current::new);
  }

  private AnalysisRequested analysisRequested(State s, Transition c) {
    Map<String, String> parameters = new java.util.TreeMap<>();
    if (c.data().get("parameters") instanceof Map<?, ?> given) {
      given.forEach((k, v) -> parameters.put(String.valueOf(k), String.valueOf(v)));
    }
    Object pipeline = c.data().get("pipeline");
    return new AnalysisRequested(specimenId, analysisId(specimenId, s.analysisCount() + 1), s.barcode(), s.registration().testsRequested(),
        pipeline instanceof String name ? name : null, Map.copyOf(parameters), c.custody());
  }

  /** The id of a specimen's n-th analysis run: AN-SP-2026-000123-1, -2, ... */
  public static String analysisId(String specimenId, int n) {
    return "AN-" + specimenId + "-" + n;
  }

  private ReplyEffect<Event, State> setLocation(State s, SetLocation c) {
    if (TransitionTable.FINAL.contains(s.state())) {
      return reject(c, conflict(s, "specimen " + specimenId + " is " + s.state() + " and accepts no changes"));
    }
    return Effect().persist(new LocationSet(specimenId, c.plate(), c.well(), c.custody())).thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> reject(Command c, Rejection r) {
    return Effect().reply(c.replyTo(), new Rejected(r));
  }

  private static Rejection conflict(State s, String detail) {
    return new Rejection(Rejection.Kind.CONFLICT, detail, Map.of("state", s.state().name(), "allowed_actions", s.allowedActions()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(SpecimenRegistered.class, (s, e) -> new State(specimenId, e.barcode(), e.registration(), SpecimenState.REGISTERED,
            null, null, null, null, List.of(new HistoryEntry(TransitionTable.REGISTER, null, SpecimenState.REGISTERED, e.custody(), Map.of())), null, 0))
        .onEvent(SpecimenTransitioned.class, (s, e) -> {
          State moved = s.with(e.to(), new HistoryEntry(e.action(), e.from(), e.to(), e.custody(), e.data()));
          return Action.FINISH_EXPERIMENT.named(e.action()) ? moved.withExperimentFinishedBy(e.custody().userId()) : moved;
        })
        .onEvent(LocationSet.class, (s, e) -> s.withLocation(e.plate(), e.well())
            .with(s.state(), new HistoryEntry(TransitionTable.SET_LOCATION, s.state(), s.state(), e.custody(), Map.of("plate", e.plate(), "well", e.well()))))
        .onEvent(AnalysisRequested.class, (s, e) -> s.withAnalysis(e.analysisId()))
        .onEvent(AnalysisCancellationRequested.class, (s, e) -> s)
        .onEvent(ReplacementRequested.class, (s, e) -> s.withReplacement(e.replacementId()))
        .build();
  }
}
