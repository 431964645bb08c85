package lims.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import lims.device.Priority;
import lims.kernel.Custody;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The Workflow entity on the in-memory journal (every message round-trips through CBOR). */
class WorkflowTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final Custody TECH = new Custody("tech", "technician", Instant.parse("2026-11-24T08:00:00Z"), "10.0.0.1", "req-1", null);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static Workflow.Definition definition(List<Workflow.Step> steps) {
    return new Workflow.Definition("od", "reader-1", "plate_reader", List.of(), steps, Priority.NORMAL);
  }

  /** A two-step workflow, granted its device, its first step claimed. */
  static EventSourcedBehaviorTestKit<Workflow.Command, Workflow.Event, Workflow.State> withFirstStepBegun(String id) {
    var w = EventSourcedBehaviorTestKit.<Workflow.Command, Workflow.Event, Workflow.State>create(testKit.system(), Workflow.create(id));
    w.<Workflow.Reply>runCommand(r -> new Workflow.Create(definition(
        List.of(new Workflow.Step("read_absorbance", Map.of()), new Workflow.Step("read_fluorescence", Map.of()))), TECH, null, r));
    w.<Workflow.Reply>runCommand(r -> new Workflow.Granted(TECH.at(), TECH, r));
    w.<Workflow.Reply>runCommand(r -> new Workflow.BeginStep(TECH, r));
    return w;
  }

  /** A create repeated with the Idempotency-Key's token is answered with the workflow it made, also after a restart; any other is a conflict. */
  @Test
  void aRepeatWithTheCreatingTokenIsAnsweredWithTheWorkflow() {
    var w = EventSourcedBehaviorTestKit.<Workflow.Command, Workflow.Event, Workflow.State>create(testKit.system(), Workflow.create("wf-key"));
    List<Workflow.Step> steps = List.of(new Workflow.Step("read_absorbance", Map.of()));
    w.<Workflow.Reply>runCommand(r -> new Workflow.Create(definition(steps), TECH, "token-a", r));
    w.restart();
    var repeat = w.<Workflow.Reply>runCommand(r -> new Workflow.Create(definition(steps), TECH, "token-a", r));
    assertTrue(repeat.reply() instanceof Workflow.Current && repeat.events().isEmpty(), String.valueOf(repeat.reply()));
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Create(definition(steps), TECH, "token-b", r))
        .reply() instanceof Workflow.Rejected);
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Create(definition(steps), TECH, null, r))
        .reply() instanceof Workflow.Rejected);
  }

  @Test
  void aStepWhoseAcceptanceWasLostEndsWhenTheDeviceReportsItsExecution() {
    var w = withFirstStepBegun("wf-lost");
    // No StepAccepted: the node stopped between the device starting the operation and the workflow hearing of it.
    Instant at = TECH.at().plusSeconds(5);
    w.<Workflow.Reply>runCommand(r -> new Workflow.EndStep(null, "reader-1.9", "succeeded", Map.of("od600", 0.4), at, r));
    Workflow.StepRun step = w.getState().runs().get(0);
    assertEquals("succeeded", step.status());
    assertEquals("reader-1.9", step.executionId());
    assertEquals(at, step.finishedAt());
    // The next step can run, and a report of an execution this workflow already knows changes nothing.
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.BeginStep(TECH, r)).reply() instanceof Workflow.Current);
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.EndStep(null, "reader-1.9", "failed", Map.of(), at, r)).events().isEmpty());
    assertEquals("running", w.getState().runs().get(1).status());
  }

  @Test
  void anAlarmFailsTheRunningStepWithTheWorkflowAndNothingEndsItAgain() {
    var w = withFirstStepBegun("wf-alarm");
    w.<Workflow.Reply>runCommand(r -> new Workflow.StepAccepted(0, "reader-1.7", r));

    Instant at = TECH.at().plusSeconds(30);
    var failed = w.<Workflow.Reply>runCommand(r -> new Workflow.Fail("device reader-1 went offline", at, r));
    assertEquals(List.of(new Workflow.WorkflowFailed("wf-alarm", "reader-1", "device reader-1 went offline", 0, at)), failed.events());
    Workflow.State s = w.getState();
    assertEquals(Workflow.Status.FAILED, s.status());
    assertEquals("failed", s.runs().get(0).status());
    assertEquals(at, s.finishedAt());

    // The operation's late result, a repeated alarm, completing or cancelling: none changes a failed workflow.
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.EndStep(null, "reader-1.7", "succeeded", Map.of(), at.plusSeconds(1), r)).events().isEmpty());
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Fail("again", at, r)).events().isEmpty());
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Complete(TECH, r)).reply() instanceof Workflow.Rejected);
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Cancel(TECH, r)).reply() instanceof Workflow.Rejected);
    assertEquals("failed", w.getState().runs().get(0).status());
  }

  /** What each phase allows: waiting for its device, running, ended. */
  @Test
  void eachPhaseTakesOnlyItsOwnCommands() {
    var w = EventSourcedBehaviorTestKit.<Workflow.Command, Workflow.Event, Workflow.State>create(testKit.system(), Workflow.create("wf-phases"));
    List<Workflow.Step> steps = List.of(new Workflow.Step("read_absorbance", Map.of()));
    w.<Workflow.Reply>runCommand(r -> new Workflow.Create(definition(steps), TECH, null, r));
    // Waiting for its device: no step, no completion, and an alarm leaves it where it is.
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.BeginStep(TECH, r)).reply() instanceof Workflow.Rejected);
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Complete(TECH, r)).reply() instanceof Workflow.Rejected);
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Fail("offline", TECH.at(), r)).events().isEmpty());
    w.<Workflow.Reply>runCommand(r -> new Workflow.MarkQueued(Priority.URGENT, TECH, r));
    assertEquals(Workflow.Status.QUEUED, w.getState().status());
    // Granted: running; a repeated grant or queue report changes nothing.
    w.<Workflow.Reply>runCommand(r -> new Workflow.Granted(TECH.at(), TECH, r));
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Granted(TECH.at(), TECH, r)).events().isEmpty());
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.MarkQueued(Priority.LOW, TECH, r)).events().isEmpty());
    assertEquals(Workflow.Status.RUNNING, w.getState().status());
    // Cancelled while its step runs: the step still ends as the operation ends, and nothing else moves it.
    w.<Workflow.Reply>runCommand(r -> new Workflow.BeginStep(TECH, r));
    w.<Workflow.Reply>runCommand(r -> new Workflow.StepAccepted(0, "reader-1.3", r));
    w.<Workflow.Reply>runCommand(r -> new Workflow.Cancel(TECH, r));
    assertEquals(Workflow.Status.CANCELLED, w.getState().status());
    w.<Workflow.Reply>runCommand(r -> new Workflow.EndStep(null, "reader-1.3", "succeeded", Map.of(), TECH.at(), r));
    assertEquals("succeeded", w.getState().runs().get(0).status());
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Granted(TECH.at(), TECH, r)).events().isEmpty());
    assertTrue(w.<Workflow.Reply>runCommand(r -> new Workflow.Cancel(TECH, r)).reply() instanceof Workflow.Rejected);
    w.restart();
    assertEquals(Workflow.Status.CANCELLED, w.getState().status(), "the same after replaying its events");
    assertEquals(Priority.NORMAL, w.getState().priority());
  }
}
