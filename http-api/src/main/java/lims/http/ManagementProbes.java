package lims.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * The management port's probe routes, in place of Pekko Management's own (node.conf names this
 * class under {@code pekko.management.http.routes.health-checks}): its readiness route answers
 * exactly as {@code GET /ready} does, from the same {@link Readiness}: 200, or 503
 * problem+json naming the failing checks. Pekko's answered 500 for a check that failed or
 * timed out, and named only one (decision 0039). Liveness and start-up answer 200 while the
 * process runs, as {@code /health} does.
 */
public final class ManagementProbes implements ManagementRouteProvider {

  private final Readiness readiness;
  private final ObjectMapper mapper = Responses.mapper();
  private final String readinessPath;
  private final String livenessPath;
  private final String startupPath;

  public ManagementProbes(ExtendedActorSystem system) {
    this.readiness = Readiness.get(Adapter.toTyped(system));
    Config paths = system.settings().config().getConfig("pekko.management.health-checks");
    this.readinessPath = paths.getString("readiness-path");
    this.livenessPath = paths.getString("liveness-path");
    this.startupPath = paths.getString("startup-path");
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return Directives.concat(
        probe(readinessPath, this::ready),
        probe(livenessPath, this::alive),
        probe(startupPath, this::alive));
  }

  private static Route probe(String path, java.util.function.Supplier<CompletionStage<HttpResponse>> answer) {
    return Directives.path(PathMatchers.separateOnSlashes(path), () -> Directives.get(() -> Directives.completeWithFuture(answer.get())));
  }

  private CompletionStage<HttpResponse> ready() {
    return readiness.report().thenApply(report -> report.ready()
        ? Responses.json(mapper, 200, report.body())
        : Responses.problem(mapper, report.problem(), "/" + readinessPath, UUID.randomUUID().toString()));
  }

  private CompletionStage<HttpResponse> alive() {
    return CompletableFuture.completedFuture(Responses.json(mapper, 200, new OperationsRoutes.HealthView("healthy")));
  }
}
