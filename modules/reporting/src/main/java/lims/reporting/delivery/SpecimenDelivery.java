package lims.reporting.delivery;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.specimen.Specimens;
import lims.specimen.TransitionTable.Action;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes {@code deliver} on a specimen whose report every recipient's server accepted. Completes
 * {@code true} when nothing is left to do for the specimen (moved now, or already past
 * REPORTED), {@code false} to be asked again later (still APPROVED: its report_rendered is not
 * journaled yet; or no answer in time).
 */
@FunctionalInterface
public interface SpecimenDelivery {

  CompletionStage<Boolean> deliver(String specimenId, Map<String, Object> data, Custody custody);

  static SpecimenDelivery of(Specimens specimens) {
    Logger log = LoggerFactory.getLogger(SpecimenDelivery.class);
    return (specimenId, data, custody) -> specimens
        .transition(specimenId, Action.DELIVER.wireName(), Optional.of(SpecimenState.REPORTED), data, custody)
        .thenCompose(reply -> {
          if (!(reply instanceof Specimen.Rejected rejected)) return CompletableFuture.completedFuture(true);
          if (rejected.rejection().kind() != Rejection.Kind.CONFLICT) {
            log.warn("specimen {} not delivered for {}: {}", specimenId, custody.requestId(), rejected.rejection().detail());
            return CompletableFuture.completedFuture(true);
          }
          return specimens.ask(specimenId, Specimen.Get::new)
              .thenApply(now -> !(now instanceof Specimen.Current c && c.specimen().state() == SpecimenState.APPROVED));
        })
        .exceptionally(failure -> false);
  }
}
