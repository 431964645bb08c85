package lims.kernel;

import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Asks the entity of one type with a given id: what a context's facade offers ({@code
 * Specimens::ask}, {@code Analyses::ask}), and all a reaction needs of it, so a reaction's
 * unit test can answer in the entity's place.
 */
@FunctionalInterface
public interface EntityAsker<C, R> {

  CompletionStage<R> ask(String entityId, Function<ActorRef<R>, C> command);
}
