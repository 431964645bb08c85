package lims.workflow;

import static lims.workflow.ReactionFixtures.TECH;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import lims.device.Device;
import lims.device.Priority;
import lims.kernel.testing.Reactions;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The workflow-effects reaction over a test source of workflow events: specimens move, devices are handed over. */
class WorkflowEffectDeliveryTest {

  static final ReactionFixtures f = new ReactionFixtures();
  static final Instant AT = Instant.parse("2026-11-24T09:00:00Z");
  static final List<Workflow.Sample> SAMPLES = List.of(new Workflow.Sample("SP20260000011", "SP-2026-000001"));

  @AfterAll
  static void shutdown() {
    f.testKit.shutdownTestKit();
  }

  static List<String> moves(String specimenId) {
    return f.specimenCommands.stream().map(c -> (Specimen.Transition) c)
        .filter(t -> t.custody().requestId().equals(specimenId))
        .map(t -> t.action() + " from " + t.expectedState().orElseThrow()).toList();
  }

  @Test
  void startedMovesTheSamplesIntoTheExperiment() {
    var custody = new lims.kernel.Custody("tech", "technician", AT, "10.0.0.1", "started-1", null);
    Reactions.run(f.testKit, "workflow-effects", new WorkflowEffectDelivery(f.entities()),
        List.of(new Workflow.WorkflowStarted("WF-0000000000a1", "reader-1", AT, SAMPLES, custody)),
        () -> assertEquals(List.of("start_experiment from " + SpecimenState.QC_PASSED), moves("started-1")));
  }

  @Test
  void completedReleasesTheDeviceThenMovesTheSamplesToAnalysis() {
    f.register("reader-c1");
    f.devices.answer("reader-c1", r -> new Device.Book("WF-0000000000c1", List.of(), "tech", r));
    var custody = new lims.kernel.Custody("tech", "technician", AT, "10.0.0.1", "completed-1", null);
    Reactions.run(f.testKit, "workflow-effects", new WorkflowEffectDelivery(f.entities()),
        List.of(new Workflow.WorkflowCompleted("WF-0000000000c1", "reader-c1", SAMPLES, custody)), () -> {
          assertEquals(Optional.empty(), f.device("reader-c1").booking());
          assertEquals(List.of("finish_experiment from " + SpecimenState.IN_EXPERIMENT), moves("completed-1"));
        });
  }

  @Test
  void failedReleasesTheDevice() {
    f.register("reader-f1");
    f.devices.answer("reader-f1", r -> new Device.Book("WF-0000000000f1", List.of(), "tech", r));
    Reactions.run(f.testKit, "workflow-effects", new WorkflowEffectDelivery(f.entities()),
        List.of(new Workflow.WorkflowFailed("WF-0000000000f1", "reader-f1", "device reader-f1 went offline", 0, AT)),
        () -> assertEquals(Optional.empty(), f.device("reader-f1").booking()));
  }

  /** The one cancel rule (decision 0044): running releases; created or queued leaves the queue, even if the workflow never heard it was queued. */
  @Test
  void cancelledReleasesWhatItRanOnAndLeavesTheQueueOtherwise() {
    f.register("reader-x1");
    f.devices.answer("reader-x1", r -> new Device.Book("WF-0000000000x1", List.of(), "tech", r));
    f.devices.answer("reader-x1", r -> new Device.Enqueue("WF-0000000000x2", Priority.NORMAL, List.of(), "tech", r));
    f.devices.answer("reader-x1", r -> new Device.Enqueue("WF-0000000000x3", Priority.URGENT, List.of(), "tech", r));
    var events = List.<Workflow.Event>of(
        new Workflow.WorkflowCancelled("WF-0000000000x2", "reader-x1", Workflow.Status.CREATED.wireName(), TECH),
        new Workflow.WorkflowCancelled("WF-0000000000x3", "reader-x1", Workflow.Status.QUEUED.wireName(), TECH),
        new Workflow.WorkflowCancelled("WF-0000000000x1", "reader-x1", Workflow.Status.RUNNING.wireName(), TECH));
    Reactions.run(f.testKit, "workflow-effects", new WorkflowEffectDelivery(f.entities()), events, () -> {
      Device.Snapshot device = f.device("reader-x1");
      assertEquals(Optional.empty(), device.booking(), "the running one released the device");
      assertEquals(List.of(), device.queue(), "both waiting ones left the queue, and none was granted the device");
    });
  }
}
