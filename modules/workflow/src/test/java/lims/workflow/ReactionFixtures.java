package lims.workflow;

import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import lims.device.Device;
import lims.device.DeviceType;
import lims.device.InstrumentDriver;
import lims.device.Priority;
import lims.kernel.Custody;
import lims.kernel.EntityAsker;
import lims.kernel.testing.Reactions;
import lims.specimen.Specimen;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** What the workflow reactions' tests share: real workflow and device entities on the in-memory journal, and a record of specimen moves. */
final class ReactionFixtures {

  static final Custody TECH = new Custody("tech", "technician", Instant.parse("2026-11-24T08:00:00Z"), "10.0.0.1", "req-1", null);
  static final InstrumentDriver INSTANT = (id, type, op, params) -> CompletableFuture.completedFuture(Map.of("od600", 0.42));

  final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  final Reactions.Spawned<Workflow.Command, Workflow.Reply> workflows = Reactions.spawned(testKit, Workflow::create);
  final Reactions.Spawned<Device.Command, Device.Reply> devices = Reactions.spawned(testKit, id -> Device.create(id, INSTANT));
  /** Every specimen command the reaction sent, answered as if the specimen moved. */
  final List<Specimen.Command> specimenCommands = new CopyOnWriteArrayList<>();
  final EntityAsker<Specimen.Command, Specimen.Reply> specimens = (id, command) -> {
    specimenCommands.add(command.apply(testKit.<Specimen.Reply>createTestProbe().ref()));
    return CompletableFuture.completedFuture(new Specimen.Current(null));
  };

  Entities entities() {
    return new Entities(workflows, devices, specimens);
  }

  void register(String deviceId) {
    devices.answer(deviceId, r -> new Device.Register(deviceId, DeviceType.PLATE_READER, List.of(), "admin", null, r));
  }

  Workflow.State create(String workflowId, String deviceId, List<Workflow.Sample> samples) {
    var definition = new Workflow.Definition("od", deviceId, "plate_reader", samples,
        List.of(new Workflow.Step("read_absorbance", Map.of())), Priority.NORMAL);
    return current(workflows.answer(workflowId, r -> new Workflow.Create(definition, TECH, null, r)));
  }

  Workflow.State workflow(String workflowId) {
    return current(workflows.answer(workflowId, Workflow.Get::new));
  }

  Device.Snapshot device(String deviceId) {
    return (Device.Snapshot) devices.answer(deviceId, Device.Get::new);
  }

  static Workflow.State current(Workflow.Reply reply) {
    return ((Workflow.Current) reply).workflow();
  }
}
