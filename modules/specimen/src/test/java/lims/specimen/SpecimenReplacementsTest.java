package lims.specimen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.testing.Reactions;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The specimen-replacements reaction over a test source of specimen events. */
class SpecimenReplacementsTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final Custody TOM = new Custody("tom", "technician", Instant.parse("2026-11-23T08:00:00Z"), "10.1.2.3", "req-1", "haemolysed");
  static final Specimen.Registration ORIGINAL = new Specimen.Registration("client-7", "blood", List.of("cbc"), null, "urgent", null);

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aResampleRegistersItsReplacementOnceHoweverOftenTheEventComes() {
    var specimens = Reactions.<Specimen.Command, Specimen.Reply>spawned(testKit, Specimen::create);
    var replacement = new Specimen.Registration("client-7", "blood", List.of("cbc"), null, "urgent", "SP-2026-000001");
    var requested = new Specimen.ReplacementRequested("SP-2026-000001", "SP-2026-000002", replacement, TOM);
    var other = new Specimen.SpecimenTransitioned("SP-2026-000003", TransitionTable.Action.RECEIVE.wireName(), SpecimenState.BARCODED,
        SpecimenState.RECEIVED, Map.of(), TOM);
    // The last event: once its replacement is registered, every event before it has been handled.
    var last = new Specimen.ReplacementRequested("SP-2026-000004", "SP-2026-000005", replacement, TOM);
    Reactions.run(testKit, SpecimenReplacements.NAME, new SpecimenReplacements(specimens), List.of(other, requested, requested, last), () -> {
      assertTrue(specimens.answer("SP-2026-000005", Specimen.Get::new) instanceof Specimen.Current);
      Specimen.State s = ((Specimen.Current) specimens.answer("SP-2026-000002", Specimen.Get::new)).specimen();
      assertTrue(s.registered());
      assertEquals(SpecimenState.REGISTERED, s.state());
      assertEquals("SP-2026-000001", s.registration().replacesSpecimenId());
      assertEquals("urgent", s.registration().priority());
      assertEquals("tom", s.history().get(0).custody().userId());
      assertEquals(1, s.history().size(), "registered once, though the event came twice");
    });
    var untouched = (Specimen.Rejected) specimens.answer("SP-2026-000003", Specimen.Get::new);
    assertEquals(Rejection.Kind.NOT_FOUND, untouched.rejection().kind(), "other events register nothing");
  }

  @Test
  void aRefusedReplacementFailsTheEventSoTheReactionRetriesIt() {
    var refusing = new SpecimenReplacements((id, command) ->
        CompletableFuture.completedFuture(new Specimen.Rejected(Rejection.invalid("no"))));
    var requested = new Specimen.ReplacementRequested("SP-2026-000001", "SP-2026-000009", ORIGINAL, TOM);
    var processed = refusing.process(EventEnvelope.create(Offset.sequence(1), "Specimen|SP-2026-000001", 7, requested, 0L));
    var failure = assertThrows(CompletionException.class, () -> processed.toCompletableFuture().join());
    assertTrue(failure.getCause().getMessage().contains("SP-2026-000009"), failure.getCause().getMessage());
  }
}
