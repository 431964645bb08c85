package lims.scheduling;

import java.time.Clock;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

/**
 * One lab test in a partition of its own, under Pekko's event-sourced test kit: commands go to
 * the test through the partition, and the journal reads back as the test's own events. The
 * commands and events are checked to serialize (the partition's state, a mutable map, is not:
 * its snapshot form is).
 */
final class OneLabTest {

  record Result(LabTest.Reply reply, List<LabTest.Event> events) {}

  static final String PARTITION = "0";

  final String id;
  final EventSourcedBehaviorTestKit<LabTestPartition.Command, LabTestPartition.Event, LabTestPartition.Tests> kit;

  /** {@code calls}: asked at each start of the partition: a new instance is a new node, the same one the same node. */
  OneLabTest(ActorSystem<?> system, String id, Supplier<ActionCalls> calls, LabTest.Policy policy, Clock clock, int snapshotEvery) {
    this.id = id;
    this.kit = EventSourcedBehaviorTestKit.create(system,
        Behaviors.setup(ctx -> LabTestPartition.create(PARTITION, calls.get(), policy, clock, event -> {}, snapshotEvery)),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
  }

  Result runCommand(Function<ActorRef<LabTest.Reply>, LabTest.Command> command) {
    var result = kit.<LabTest.Reply>runCommand(r -> new LabTestPartition.ForTest(id, command.apply(r)));
    return new Result(result.reply(), events(result.events()));
  }

  /** A wake from the keeper: the events it wrote. */
  List<LabTest.Event> wake() {
    return events(kit.runCommand(new LabTestPartition.Wake()).events());
  }

  LabTest.State getState() {
    return kit.getState().get(id);
  }

  void restart() {
    kit.restart();
  }

  /** The test's events in the partition's journal, in order. */
  List<Object> journal() {
    return journal(kit.persistenceTestKit(), id);
  }

  static List<Object> journal(PersistenceTestKit persistence, String id) {
    return persistence.persistedInStorage(LabTestPartition.TYPE.name() + "|" + PARTITION).stream()
        .flatMap(e -> ((LabTestPartition.Batch) e).events().stream()).filter(e -> e.labTestId().equals(id)).map(e -> (Object) e).toList();
  }

  private static List<LabTest.Event> events(List<LabTestPartition.Event> written) {
    return written.stream().flatMap(e -> ((LabTestPartition.Batch) e).events().stream()).toList();
  }

  PersistenceTestKit persistenceTestKit() {
    return kit.persistenceTestKit();
  }
}
