package lims.specimen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.WireNames;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class SpecimenTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final AtomicInteger ids = new AtomicInteger();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** The lifecycle table of docs/domain.md (Specimens), transcribed independently of TransitionTable. */
  static final Set<String> DOCUMENTED_MOVES = Set.of(
      "REGISTERED assign_barcode BARCODED", "BARCODED receive RECEIVED", "RECEIVED start_preparation IN_PREPARATION",
      "IN_PREPARATION finish_preparation QC_PENDING", "QC_PENDING pass_qc QC_PASSED", "QC_PENDING fail_qc QC_FAILED",
      "QC_FAILED request_resample RESAMPLE_REQUESTED", "IN_REVIEW request_resample RESAMPLE_REQUESTED",
      "QC_PASSED start_experiment IN_EXPERIMENT", "IN_ANALYSIS request_reexperiment IN_EXPERIMENT",
      "ANALYSIS_FAILED request_reexperiment IN_EXPERIMENT", "IN_REVIEW request_reexperiment IN_EXPERIMENT",
      "IN_EXPERIMENT finish_experiment IN_ANALYSIS", "ANALYSIS_FAILED retry_analysis IN_ANALYSIS",
      "IN_ANALYSIS analysis_failed ANALYSIS_FAILED", "IN_ANALYSIS analysis_succeeded IN_REVIEW", "IN_REVIEW approve APPROVED",
      "APPROVED report_rendered REPORTED", "REPORTED deliver DELIVERED");

  @Test
  void theTableIsTheDocumentedLifecycle() {
    Set<String> table = new HashSet<>();
    for (var t : TransitionTable.TRANSITIONS) {
      if (t.action().equals("cancel")) continue;
      t.from().forEach(from -> table.add(from + " " + t.action() + " " + t.to()));
    }
    assertEquals(DOCUMENTED_MOVES, table);
    var cancel = TransitionTable.action("cancel").orElseThrow();
    assertEquals(Set.of(SpecimenState.RESAMPLE_REQUESTED, SpecimenState.DELIVERED, SpecimenState.CANCELLED),
        Set.copyOf(java.util.EnumSet.complementOf(java.util.EnumSet.copyOf(cancel.from()))));
    assertTrue(cancel.reasonRequired() && TransitionTable.action("fail_qc").orElseThrow().reasonRequired()
        && TransitionTable.action("request_resample").orElseThrow().reasonRequired()
        && TransitionTable.action("request_reexperiment").orElseThrow().reasonRequired());
  }

  static Custody by(String user, String role, String reason) {
    return new Custody(user, role, Instant.now(), "10.1.2.3", "req-" + ids.incrementAndGet(), reason);
  }

  /** A user with the first role the action allows; reviewers are not the experimenter. */
  static Custody actorFor(String action) {
    var t = TransitionTable.action(action).orElseThrow();
    String role = WireNames.of(t.roles().stream().sorted().findFirst().orElseThrow());
    return by(action.equals("approve") ? "rita" : "tom", role, "because the test says so");
  }

  static EventSourcedBehaviorTestKit<Specimen.Command, Specimen.Event, Specimen.State> registered() {
    String id = "SP-2026-" + String.format("%06d", ids.incrementAndGet());
    var specimen = EventSourcedBehaviorTestKit.<Specimen.Command, Specimen.Event, Specimen.State>create(testKit.system(), Specimen.create(id));
    specimen.<Specimen.Reply>runCommand(r -> new Specimen.Register(
        new Specimen.Registration("client-7", "blood", List.of("cbc"), null, "normal", null), by("tom", "technician", null), r));
    return specimen;
  }

  static Specimen.Reply act(EventSourcedBehaviorTestKit<Specimen.Command, Specimen.Event, Specimen.State> s, String action) {
    Map<String, Object> data = action.equals("request_resample") ? Map.of("replacement_id", "SP-2026-999999") : Map.of();
    return s.<Specimen.Reply>runCommand(r -> new Specimen.Transition(action, Optional.empty(), data, actorFor(action), r)).reply();
  }

  /** The shortest path of actions from REGISTERED to each state, found over the table. */
  static Map<SpecimenState, List<String>> paths() {
    Map<SpecimenState, List<String>> paths = new EnumMap<>(SpecimenState.class);
    paths.put(SpecimenState.REGISTERED, List.of());
    var queue = new ArrayDeque<SpecimenState>(List.of(SpecimenState.REGISTERED));
    while (!queue.isEmpty()) {
      SpecimenState s = queue.poll();
      for (String action : TransitionTable.allowedActions(s)) {
        SpecimenState to = TransitionTable.from(s, action).orElseThrow().to();
        if (!paths.containsKey(to)) {
          List<String> p = new ArrayList<>(paths.get(s));
          p.add(action);
          paths.put(to, p);
          queue.add(to);
        }
      }
    }
    return paths;
  }

  @Test
  void everyStateAndActionPairMovesWhenLegalAndAnswersConflictOtherwise() {
    Map<SpecimenState, List<String>> paths = paths();
    assertEquals(SpecimenState.values().length, paths.size(), "every state is reachable");
    int legal = 0, illegal = 0;
    for (SpecimenState state : SpecimenState.values()) {
      for (String action : TransitionTable.actions()) {
        var specimen = registered();
        paths.get(state).forEach(a -> assertTrue(act(specimen, a) instanceof Specimen.Current, a));
        assertEquals(state, specimen.getState().state());
        Specimen.Reply reply = act(specimen, action);
        Optional<TransitionTable.Transition> t = TransitionTable.from(state, action);
        String where = state + " + " + action;
        if (t.isPresent()) {
          legal++;
          assertTrue(reply instanceof Specimen.Current, where + ": " + reply);
          assertEquals(t.get().to(), specimen.getState().state(), where);
        } else {
          illegal++;
          Rejection r = ((Specimen.Rejected) reply).rejection();
          assertEquals(Rejection.Kind.CONFLICT, r.kind(), where);
          assertEquals(TransitionTable.allowedActions(state), r.facts().get("allowed_actions"), where);
          assertEquals(state, specimen.getState().state(), where + " left the specimen unchanged");
        }
      }
    }
    assertEquals(16 * 17, legal + illegal);
    assertEquals(DOCUMENTED_MOVES.size() + 13, legal, "the 19 moves of docs/domain.md, and cancel from the 13 states that are not final");
  }

  @Test
  void theHistoryIsTheCompleteChainOfCustodyInOrder() {
    var s = registered();
    act(s, "assign_barcode");
    act(s, "receive");
    s.<Specimen.Reply>runCommand(r -> new Specimen.SetLocation("plate-7", "B11", by("tom", "technician", null), r));
    List<Specimen.HistoryEntry> history = s.getState().history();
    assertEquals(List.of("register", "assign_barcode", "receive", "set_location"), history.stream().map(Specimen.HistoryEntry::action).toList());
    assertEquals(SpecimenState.BARCODED, history.get(2).from());
    history.forEach(h -> {
      assertEquals("tom", h.custody().userId());
      assertEquals("10.1.2.3", h.custody().clientIp());
      assertTrue(h.custody().requestId().startsWith("req-"));
    });
    s.restart();
    assertEquals(history, s.getState().history(), "the chain comes back from the journal");
  }

  @Test
  void approvalNeedsAReviewerOtherThanTheExperimenter() {
    var s = registered();
    List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc", "start_experiment").forEach(a -> act(s, a));
    s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("finish_experiment", Optional.empty(), Map.of(), by("rita", "scientist", null), r));
    act(s, "analysis_succeeded");
    var own = (Specimen.Rejected) s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("approve", Optional.empty(), Map.of(), by("rita", "reviewer", null), r)).reply();
    assertEquals(Rejection.Kind.FORBIDDEN, own.rejection().kind());
    var technician = (Specimen.Rejected) s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("approve", Optional.empty(), Map.of(), by("tom", "technician", null), r)).reply();
    assertEquals(Rejection.Kind.FORBIDDEN, technician.rejection().kind());
    assertEquals(SpecimenState.IN_REVIEW, s.getState().state());
    s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("approve", Optional.empty(), Map.of(), by("ravi", "reviewer", null), r));
    assertEquals(SpecimenState.APPROVED, s.getState().state());
  }

  @Test
  void reasonsAreRequiredWhereTheTableSaysAndStaleScreensLose() {
    var s = registered();
    var noReason = (Specimen.Rejected) s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("cancel", Optional.empty(), Map.of(), by("tom", "technician", " "), r)).reply();
    assertEquals(Rejection.Kind.INVALID, noReason.rejection().kind());
    act(s, "assign_barcode");
    var stale = (Specimen.Rejected) s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("receive", Optional.of(SpecimenState.REGISTERED), Map.of(), by("tom", "technician", null), r)).reply();
    assertEquals(Rejection.Kind.CONFLICT, stale.rejection().kind());
    assertEquals(SpecimenState.BARCODED, s.getState().state());
  }

  @Test
  void enteringAnalysisRequestsANumberedRunAndOnlyTheCurrentRunMayReportItsOutcome() {
    var s = registered();
    List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc", "start_experiment").forEach(a -> act(s, a));
    String id = s.getState().id();
    var finish = s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("finish_experiment", Optional.empty(),
        Map.of("pipeline", "rnaseq", "parameters", Map.of("genome", "GRCh38")), by("sam", "scientist", null), r));
    var first = (Specimen.AnalysisRequested) finish.events().get(1);
    assertEquals(Specimen.analysisId(id, 1), first.analysisId());
    assertEquals("rnaseq", first.pipeline());
    assertEquals(Map.of("genome", "GRCh38"), first.parameters());
    assertEquals(s.getState().barcode(), first.barcode());

    var failed = s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("analysis_failed", Optional.empty(),
        Map.of("analysis_id", first.analysisId(), "reason", "timeout"), by("system", "admin", null), r));
    assertEquals(1, failed.events().size(), "the run's own outcome cancels nothing");
    var retry = s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("retry_analysis", Optional.empty(), Map.of(),
        by("sam", "scientist", null), r));
    assertEquals(Specimen.analysisId(id, 2), ((Specimen.AnalysisRequested) retry.events().get(1)).analysisId());

    var stale = s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("analysis_succeeded", Optional.empty(),
        Map.of("analysis_id", first.analysisId()), by("system", "admin", null), r));
    assertEquals(Rejection.Kind.CONFLICT, ((Specimen.Rejected) stale.reply()).rejection().kind());
    assertEquals(SpecimenState.IN_ANALYSIS, s.getState().state());

    var cancel = s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("cancel", Optional.empty(), Map.of(),
        by("tom", "technician", "client withdrew"), r));
    assertEquals(Specimen.analysisId(id, 2), ((Specimen.AnalysisCancellationRequested) cancel.events().get(1)).analysisId());
  }

  @Test
  void reexperimentEmitsTheAnalysisCompensationAndResampleNamesItsReplacement() {
    var s = registered();
    List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc", "start_experiment", "finish_experiment")
        .forEach(a -> act(s, a));
    var reexperiment = s.<Specimen.Reply>runCommand(r -> new Specimen.Transition("request_reexperiment", Optional.empty(), Map.of(),
        by("ravi", "reviewer", "pipette drift"), r));
    var cancellation = (Specimen.AnalysisCancellationRequested) reexperiment.events().get(1);
    assertEquals(Specimen.analysisId(s.getState().id(), 1), cancellation.analysisId());

    var qcFailed = registered();
    List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "fail_qc").forEach(a -> act(qcFailed, a));
    var resample = qcFailed.<Specimen.Reply>runCommand(r -> new Specimen.Transition("request_resample", Optional.empty(),
        Map.of("replacement_id", "SP-2026-777777"), by("tom", "technician", "haemolysed"), r));
    var requested = (Specimen.ReplacementRequested) resample.events().get(1);
    assertEquals("SP-2026-777777", requested.replacementId());
    assertEquals(qcFailed.getState().id(), requested.replacement().replacesSpecimenId());
    assertFalse(TransitionTable.allowedActions(SpecimenState.RESAMPLE_REQUESTED).iterator().hasNext());
  }

  @Test
  void barcodesCarryACheckCharacterThatCatchesTypos() {
    String barcode = Barcodes.forSpecimen("SP-2026-000123");
    assertTrue(Barcodes.validFormat(barcode), barcode);
    assertEquals(13, barcode.length());
    assertFalse(Barcodes.validFormat(barcode.substring(0, 12) + (barcode.charAt(12) == 'A' ? 'B' : 'A')));
    assertFalse(Barcodes.validFormat("SP2026000132" + barcode.charAt(12)), "swapped neighbours");
    assertFalse(Barcodes.validFormat("XX2026000123" + barcode.charAt(12)));
  }
}
