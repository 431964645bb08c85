package lims.kernel;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Pekko Management readiness check (registered in node.conf): a node whose database does
 * not answer is not ready, so a load balancer sends its traffic elsewhere.
 */
public final class DatabaseReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem system;

  public DatabaseReadinessCheck(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    return Database.get(Adapter.toTyped(system))
        .answers(system.settings().config().getDuration("pekko.management.health-checks.check-timeout"));
  }
}
