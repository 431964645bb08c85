package lims.specimen;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import lims.kernel.CborSerializable;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.projection.EventTags;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import lims.kernel.ShardedEntity;

/**
 * A batch of analyses for one test over several specimens, keyed by the client's
 * {@code batch_key}. Invariant: created once, with exactly one analysis request per
 * specimen and test, however many times and however concurrently it is sent; the same key
 * with different contents is refused.
 */
public final class TestBatch extends ShardedEntity<TestBatch.Command, TestBatch.Event, TestBatch.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "TestBatch");
  public static final EventTags TAGS = new EventTags("test-batch", 2);
  public static final Pattern BATCH_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,100}");

  public sealed interface Command extends CborSerializable permits Create, Get {}

  public record Create(String testCode, List<String> specimenIds, Custody custody, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Batch, Rejected {}

  /** {@code created} is true only for the request that created the batch. */
  public record Batch(State batch, boolean created) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply, lims.kernel.Refused {}

  /** One analysis to run: its id is derived from the batch, specimen and test, so it is stable across repeats. */
  public record AnalysisRequest(String analysisRequestId, String specimenId, String testCode) implements CborSerializable {}

  public sealed interface Event extends CborSerializable permits BatchCreated {}

  public record BatchCreated(String batchKey, String testCode, List<String> specimenIds, List<AnalysisRequest> analysisRequests,
      Custody custody) implements Event {}

  public record State(String batchKey, String testCode, List<String> specimenIds, List<AnalysisRequest> analysisRequests, Custody createdBy)
      implements CborSerializable {
    boolean exists() {
      return testCode != null;
    }
  }

  private final String batchKey;

  private TestBatch(String batchKey) {
    super(PersistenceId.of(TYPE.name(), batchKey));
    this.batchKey = batchKey;
  }

  public static Behavior<Command> create(String batchKey) {
    return new TestBatch(batchKey);
  }

  @Override
  public State emptyState() {
    return new State(batchKey, null, List.of(), List.of(), null);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return TAGS.tagSetFor(batchKey);
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s.exists()
            ? new Batch(s, false) : new Rejected(Rejection.notFound("no test batch " + batchKey))))
        .onCommand(Create.class, (s, c) -> {
          List<String> specimens = c.specimenIds().stream().distinct().sorted().toList();
          if (!s.exists()) {
            List<AnalysisRequest> requests = specimens.stream()
                .map(id -> new AnalysisRequest(batchKey + "/" + id + "/" + c.testCode(), id, c.testCode())).toList();
            return Effect().persist(new BatchCreated(batchKey, c.testCode(), specimens, requests, c.custody()))
                .thenReply(c.replyTo(), st -> new Batch(st, true));
          }
          if (s.testCode().equals(c.testCode()) && s.specimenIds().equals(specimens)) {
            return Effect().reply(c.replyTo(), new Batch(s, false));
          }
          return Effect().reply(c.replyTo(), new Rejected(new Rejection(Rejection.Kind.CONFLICT,
              "batch_key " + batchKey + " was already used for a different batch", Map.of("batch_key", batchKey))));
        })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(BatchCreated.class, (s, e) -> new State(e.batchKey(), e.testCode(), e.specimenIds(), e.analysisRequests(), e.custody()))
        .build();
  }
}
