package lims.workflow;

import static lims.workflow.ReactionFixtures.TECH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import lims.device.Booking;
import lims.device.Device;
import lims.device.OperationalStatus;
import lims.kernel.EntityAsker;
import lims.kernel.testing.Reactions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The workflow-grants reaction over a test source of device events: grants, step ends and alarms reach the workflows they name. */
class DeviceEventDeliveryTest {

  static final ReactionFixtures f = new ReactionFixtures();
  static final Instant AT = Instant.parse("2026-11-24T09:00:00Z");

  @AfterAll
  static void shutdown() {
    f.testKit.shutdownTestKit();
  }

  static Device.BookingGranted grant(String deviceId, String workflowId) {
    return new Device.BookingGranted(deviceId, new Booking(workflowId, AT, List.of("read_absorbance")), true, "tech");
  }

  @Test
  void aGrantStartsTheWorkflowItNamesOnceHoweverOftenItComes() {
    f.create("WF-00000000000a", "reader-a", List.of());
    Reactions.run(f.testKit, "workflow-grants", new DeviceEventDelivery(f.entities()),
        List.of(grant("reader-a", "WF-00000000000a"), grant("reader-a", "WF-00000000000a")), () -> {
          Workflow.State w = f.workflow("WF-00000000000a");
          assertEquals(Workflow.Status.RUNNING, w.status());
          assertEquals(AT, w.bookedAt());
          assertEquals("grant:reader-a", w.startRequestedBy().requestId(), "started by the system, for the grant");
          assertEquals("system", w.startRequestedBy().userId());
        });
  }

  @Test
  void aGrantToAWorkflowCancelledWhileItWaitedHandsTheDeviceOn() {
    f.register("reader-b");
    f.create("WF-00000000000b", "reader-b", List.of());
    f.workflows.answer("WF-00000000000b", r -> new Workflow.Cancel(TECH, r));
    // The device granted the queued workflow just as it was cancelled.
    f.devices.answer("reader-b", r -> new Device.Book("WF-00000000000b", List.of(), "tech", r));
    Reactions.run(f.testKit, "workflow-grants", new DeviceEventDelivery(f.entities()), List.of(grant("reader-b", "WF-00000000000b")),
        () -> assertEquals(Optional.empty(), f.device("reader-b").booking(), "released at once"));
    assertEquals(Workflow.Status.CANCELLED, f.workflow("WF-00000000000b").status());
  }

  @Test
  void aFinishedExecutionEndsTheStepThatStartedIt() {
    f.create("WF-00000000000c", "reader-c", List.of());
    f.workflows.answer("WF-00000000000c", r -> new Workflow.Granted(AT, TECH, r));
    f.workflows.answer("WF-00000000000c", r -> new Workflow.BeginStep(TECH, r));
    f.workflows.answer("WF-00000000000c", r -> new Workflow.StepAccepted(0, "reader-c.1", r));
    var finished = new Device.ExecutionFinished("reader-c", "reader-c.1", "WF-00000000000c", "succeeded", AT.plusSeconds(5), Map.of("od600", 0.4));
    Reactions.run(f.testKit, "workflow-grants", new DeviceEventDelivery(f.entities()), List.of(finished), () -> {
      Workflow.StepRun step = f.workflow("WF-00000000000c").runs().get(0);
      assertEquals("succeeded", step.status());
      assertEquals(AT.plusSeconds(5), step.finishedAt());
      assertEquals(Map.of("od600", 0.4), step.result());
    });
  }

  @Test
  void aDeviceGoingOfflineFailsTheWorkflowItInterrupted() {
    f.create("WF-00000000000d", "reader-d", List.of());
    f.workflows.answer("WF-00000000000d", r -> new Workflow.Granted(AT, TECH, r));
    f.workflows.answer("WF-00000000000d", r -> new Workflow.BeginStep(TECH, r));
    var offline = new Device.StatusChanged("reader-d", OperationalStatus.OFFLINE, AT.plusSeconds(9), "admin", "WF-00000000000d");
    Reactions.run(f.testKit, "workflow-grants", new DeviceEventDelivery(f.entities()), List.of(offline), () -> {
      Workflow.State w = f.workflow("WF-00000000000d");
      assertEquals(Workflow.Status.FAILED, w.status());
      assertEquals("failed", w.runs().get(0).status(), "its running step fails with it");
      assertEquals(Map.of("error", "device reader-d went offline"), w.runs().get(0).result());
    });
  }

  /** Bookings made on the device API, under other names, have no workflow to ask (decision 0041). */
  @Test
  void holdersNotNamedLikeWorkflowsAskNoWorkflow() {
    List<String> asked = new CopyOnWriteArrayList<>();
    EntityAsker<Workflow.Command, Workflow.Reply> counting = (id, command) -> {
      asked.add(id);
      return f.workflows.ask(id, command);
    };
    f.create("WF-00000000000e", "reader-e", List.of());
    var direct = List.<Device.Event>of(grant("reader-e", "someone-else"),
        new Device.ExecutionFinished("reader-e", "reader-e.1", "someone-else", "succeeded", AT, Map.of()),
        new Device.StatusChanged("reader-e", OperationalStatus.OFFLINE, AT, "admin", "someone-else"),
        new Device.StatusChanged("reader-e", OperationalStatus.AVAILABLE, AT, "admin", null),
        grant("reader-e", "WF-00000000000e"));
    Reactions.run(f.testKit, "workflow-grants", new DeviceEventDelivery(new Entities(counting, f.devices, f.specimens)), direct,
        () -> assertEquals(Workflow.Status.RUNNING, f.workflow("WF-00000000000e").status()));
    assertEquals(List.of("WF-00000000000e"), asked);
    assertNull(f.workflow("WF-00000000000e").finishedAt());
  }
}
