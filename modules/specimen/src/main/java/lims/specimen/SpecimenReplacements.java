package lims.specimen;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.EntityAsker;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;

/**
 * The {@code specimen-replacements} reaction: registers the replacement a request_resample
 * asked for ({@link Specimen.ReplacementRequested}). At least once: registering an existing
 * specimen changes nothing, so a replayed event is harmless; a refusal fails the event, which
 * the reaction retries and then stops on (a replacement is never silently lost).
 */
public final class SpecimenReplacements extends Handler<EventEnvelope<Specimen.Event>> {

  public static final String NAME = "specimen-replacements";

  private final EntityAsker<Specimen.Command, Specimen.Reply> specimens;

  public SpecimenReplacements(EntityAsker<Specimen.Command, Specimen.Reply> specimens) {
    this.specimens = specimens;
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Specimen.Event> envelope) {
    if (!(envelope.event() instanceof Specimen.ReplacementRequested e)) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return specimens.ask(e.replacementId(), r -> new Specimen.Register(e.replacement(), e.custody(), r)).thenApply(reply -> {
      if (reply instanceof Specimen.Rejected rejected) {
        throw new IllegalStateException("replacement " + e.replacementId() + " refused: " + rejected.rejection().detail());
      }
      return Done.getInstance();
    });
  }
}
