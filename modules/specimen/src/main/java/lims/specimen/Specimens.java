package lims.specimen;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Year;
import java.time.ZoneOffset;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import lims.kernel.Asked;
import lims.kernel.Database;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/** The specimen context's entry point: ids, the sharded entities, their read table and reactions. */
public final class Specimens {

  public static final Pattern SPECIMEN_ID = Pattern.compile("SP-[0-9]{4}-[0-9]{6,12}");

  private final ClusterSharding sharding;
  private final Database database;
  private final Duration askTimeout;
  private final SpecimenReadModel readModel;

  public Specimens(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.database = Database.get(system);
    this.askTimeout = askTimeout;
    this.readModel = new SpecimenReadModel(ReadTable.of(system, SpecimenProjection.NAME, Specimen.TAGS));
    sharding.init(Entity.of(Specimen.TYPE, ctx -> Specimen.create(ctx.getEntityId())));
    sharding.init(Entity.of(TestBatch.TYPE, ctx -> TestBatch.create(ctx.getEntityId())));
    Projections.<Specimen.Event>start(system, SpecimenProjection.NAME, Specimen.TAGS, tag -> new SpecimenProjection());
    Projections.<Specimen.Event>startReaction(system, SpecimenReplacements.NAME, Specimen.TAGS, tag -> new SpecimenReplacements(this::ask));
  }

  /** A new, never-used specimen id: SP-<year>-<number from the cluster-wide sequence>. */
  public CompletionStage<String> newId() {
    String sql = database.vendor().equals("postgresql") ? "SELECT nextval('specimen_number')" : "SELECT NEXT VALUE FOR specimen_number";
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
        rs.next();
        return String.format("SP-%d-%06d", Year.now(ZoneOffset.UTC).getValue(), rs.getLong(1));
      }
    });
  }

  public CompletionStage<Specimen.Reply> ask(String specimenId, Function<ActorRef<Specimen.Reply>, Specimen.Command> command) {
    return Asked.ask(sharding.entityRefFor(Specimen.TYPE, specimenId), command, askTimeout);
  }

  public CompletionStage<TestBatch.Reply> askBatch(String batchKey, Function<ActorRef<TestBatch.Reply>, TestBatch.Command> command) {
    return Asked.ask(sharding.entityRefFor(TestBatch.TYPE, batchKey), command, askTimeout);
  }

  public SpecimenReadModel readModel() {
    return readModel;
  }
}
