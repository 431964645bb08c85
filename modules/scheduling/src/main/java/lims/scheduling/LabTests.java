package lims.scheduling;

import com.typesafe.config.Config;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
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
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/** The scheduling context's entry point: the sharded lab tests, their read tables, and the sweeper that wakes them in time. */
public final class LabTests {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final ClusterSharding sharding;
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
    sharding.init(Entity.of(LabTest.TYPE, ctx -> LabTest.create(ctx.getEntityId(), calls, policy, Clock.systemUTC(), metrics))
        .withStopMessage(new LabTest.Stop()));
    Projections.<LabTest.Event>start(system, LabTestProjection.NAME, LabTest.TAGS, tag -> new LabTestProjection());
    DeadlineSweeper.start(system, LabTestProjection.DEADLINE_KIND, id -> sharding.entityRefFor(LabTest.TYPE, id).tell(new LabTest.Wake()));
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

  public CompletionStage<LabTest.Reply> ask(String labTestId, Function<ActorRef<LabTest.Reply>, LabTest.Command> command) {
    return Asked.ask(sharding.entityRefFor(LabTest.TYPE, labTestId), command, askTimeout);
  }
}
