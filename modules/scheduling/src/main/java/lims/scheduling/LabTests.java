package lims.scheduling;

import com.typesafe.config.Config;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import lims.kernel.Asked;
import lims.kernel.Database;
import lims.kernel.PauseFence;
import lims.kernel.deadline.DeadlineSweeper;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import java.util.stream.IntStream;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/** The scheduling context's entry point: the lab tests in their sharded partitions, their read tables, and the keeper that starts every partition. */
public final class LabTests {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final ClusterSharding sharding;
  private final int partitions;
  private final Duration askTimeout;
  private final LabTestActions actions;
  private final LabTestReadModel readModel;

  public LabTests(ActorSystem<?> system, LabTestActions actions, io.micrometer.core.instrument.MeterRegistry registry, Duration askTimeout) {
    Config config = system.settings().config().getConfig("lims.scheduling");
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.actions = actions;
    this.readModel = new LabTestReadModel(ReadTable.of(system, LabTestProjection.NAME, LabTest.TAGS));
    LabTest.Policy policy = new LabTest.Policy(new lims.kernel.Backoff(config.getDuration("retry.min-backoff"),
        config.getDuration("retry.max-backoff")), config.getDuration("misfire-threshold"), config.getDuration("action-timeout"), config.getDuration("start-ahead"),
        config.getDuration("catch-up-window"));
    LabTestMetrics metrics = new LabTestMetrics(registry);
    metrics.pollGauges(system, config.getDuration("gauge-interval"));
    // One per node: a lab test that starts again on this node finds the calls it made before (decision 0043).
    ActionCalls calls = new ActionCalls(actions, PauseFence.get(system)::clear);
    this.partitions = config.getInt("partitions");
    int snapshotEvery = config.getInt("partition-snapshot-every");
    // Never passivated: a partition holds its tests' timers. The keeper below starts each one
    // wherever sharding puts it, at every sweep and after a node is removed (decision 0064).
    sharding.init(Entity.of(LabTestPartition.TYPE, ctx -> LabTestPartition.create(ctx.getEntityId(), calls, policy, Clock.systemUTC(), metrics,
            snapshotEvery))
        .withStopMessage(new LabTestPartition.Stop())
        .withMessageExtractor(ONE_PARTITION_A_SHARD)
        // A joining node takes its share of the partitions in one rebalance round, not a few
        // per round for minutes (Pekko's default limit is a tenth of the shards a round): each
        // hand-off is a window in which a command can be dropped, so they are all over at once.
        .withAllocationStrategy(org.apache.pekko.cluster.sharding.ShardCoordinator.ShardAllocationStrategy$.MODULE$
            .leastShardAllocationStrategy(partitions, 1.0))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
    Projections.<LabTestPartition.Event>start(system, LabTestProjection.NAME, LabTest.TAGS, tag -> new LabTestProjection());
    DeadlineSweeper.startKeeping(system, "lab-test-partition-keeper",
        IntStream.range(0, partitions).mapToObj(String::valueOf).toList(),
        id -> sharding.entityRefFor(LabTestPartition.TYPE, id).tell(new LabTestPartition.Wake()));
  }

  /**
   * Each partition is a shard of its own (its number the shard id): sharding balances shards,
   * and hashing 64 partition ids into the configured number of shards would put two
   * partitions in some shards and so more tests on some nodes.
   */
  private static final ShardingMessageExtractor<ShardingEnvelope<LabTestPartition.Command>, LabTestPartition.Command> ONE_PARTITION_A_SHARD =
      new ShardingMessageExtractor<>() {
        @Override
        public String entityId(ShardingEnvelope<LabTestPartition.Command> envelope) {
          return envelope.entityId();
        }

        @Override
        public String shardId(String entityId) {
          return entityId;
        }

        @Override
        public LabTestPartition.Command unwrapMessage(ShardingEnvelope<LabTestPartition.Command> envelope) {
          return envelope.message();
        }
      };

  /** The partition a test belongs to (its number), as this node's configuration says. */
  public String partitionOf(String labTestId) {
    return LabTestPartition.of(labTestId, partitions);
  }

  /**
   * A new test's id: 68 random bits, the most lab_test.id (20 characters) holds. Ten million
   * tests share an id with odds of about one in six million; a clash is refused as a conflict
   * by the existing test, never merged into it (the 48 bits used before: nearly one in five).
   */
  public static String newId() {
    return "LT-" + String.format("%017x", new BigInteger(68, RANDOM));
  }

  /**
   * How many fires a preview shows: enough to see a schedule's rhythm and a daylight-saving
   * change coming, few enough to compute on every keystroke of the UI's cron field.
   */
  public static final int PREVIEW_FIRES = 5;

  /** A schedule's next fires from now, as the scheduler will fire them (POST /lab-tests/preview). */
  public java.util.List<Schedule.Fire> preview(Schedule schedule) {
    return schedule.nextFires(Clock.systemUTC().instant(), PREVIEW_FIRES);
  }

  public LabTestActions actions() {
    return actions;
  }

  public LabTestReadModel readModel() {
    return readModel;
  }

  /**
   * Asks the test, through the partition that holds it. A completed test the partition has
   * forgotten (decision 0064) is answered "not found" there: it is then looked up in the read
   * table and asked again with what the table keeps, so it reads, edits and runs as before.
   */
  public CompletionStage<LabTest.Reply> ask(String labTestId, Function<ActorRef<LabTest.Reply>, LabTest.Command> command) {
    return ask(labTestId, command, null).thenCompose(reply -> {
      if (!(reply instanceof LabTest.Rejected r) || r.rejection().kind() != lims.kernel.Rejection.Kind.NOT_FOUND) {
        return CompletableFuture.completedFuture(reply);
      }
      return readModel.forgotten(labTestId).thenCompose(kept -> kept.isEmpty() ? CompletableFuture.completedFuture(reply)
          : ask(labTestId, command, kept.get()));
    });
  }

  /**
   * Creates a test. One created under an Idempotency-Key ({@code token}) may be a repeat of a
   * create whose first answer was lost: its test may since have completed or been deleted and
   * been forgotten by its partition, so the read table is asked first, and the repeat is
   * answered with that test or refused, as before (decision 0064). A create without a key
   * has an id never used.
   */
  public CompletionStage<LabTest.Reply> create(String labTestId, LabTest.Definition definition, String by, String token) {
    Function<ActorRef<LabTest.Reply>, LabTest.Command> create = r -> new LabTest.Create(definition, by, token, r);
    if (token == null) return ask(labTestId, create, null);
    return readModel.forgotten(labTestId).thenCompose(kept -> ask(labTestId, create, kept.orElse(null)));
  }

  /** Tests a {@link #createAll} message carries at most: a message between nodes stays well under Pekko's frame size. */
  static final int CREATE_ALL_CHUNK = 200;

  /**
   * Creates many tests at once, one message and one answer for up to {@link #CREATE_ALL_CHUNK}
   * tests of a partition instead of one a test, as a scheduler's batch call takes many tasks
   * (the scheduler benchmark). The ids must be new ({@link #newId}): a test its partition has
   * forgotten is not looked up here. The definitions are taken as given (the HTTP API checks
   * a definition before it creates one). Answers in the order given, each the new test or why
   * it was refused (an id in use: conflict); fails as a whole if a partition does not answer in
   * time. Its tests may then have been made: the same call again answers them as conflicts.
   */
  public CompletionStage<List<LabTest.Reply>> createAll(List<LabTestPartition.NewTest> tests) {
    Map<String, List<Integer>> byPartition = new HashMap<>();
    for (int i = 0; i < tests.size(); i++) byPartition.computeIfAbsent(partitionOf(tests.get(i).labTestId()), p -> new ArrayList<>()).add(i);
    LabTest.Reply[] replies = new LabTest.Reply[tests.size()];
    List<CompletableFuture<Void>> asked = new ArrayList<>();
    byPartition.forEach((partition, positions) -> {
      for (int from = 0; from < positions.size(); from += CREATE_ALL_CHUNK) {
        List<Integer> at = positions.subList(from, Math.min(positions.size(), from + CREATE_ALL_CHUNK));
        List<LabTestPartition.NewTest> some = at.stream().map(tests::get).toList();
        asked.add(Asked.<LabTestPartition.Command, LabTestPartition.Created>ask(sharding.entityRefFor(LabTestPartition.TYPE, partition),
                replyTo -> new LabTestPartition.CreateAll(some, replyTo), askTimeout)
            .thenAccept(created -> {
              for (int k = 0; k < at.size(); k++) replies[at.get(k)] = created.replies().get(k);
            }).toCompletableFuture());
      }
    });
    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(done -> List.of(replies));
  }

  private CompletionStage<LabTest.Reply> ask(String labTestId, Function<ActorRef<LabTest.Reply>, LabTest.Command> command, LabTest.State restore) {
    return Asked.<LabTestPartition.Command, LabTest.Reply>ask(sharding.entityRefFor(LabTestPartition.TYPE, partitionOf(labTestId)),
        replyTo -> new LabTestPartition.ForTest(labTestId, command.apply(replyTo), restore), askTimeout);
  }
}
