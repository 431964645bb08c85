package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Liveness, readiness, metrics and the API's own description. */
final class OperationsRoutes {

  static final String OPENAPI_RESOURCE = "/openapi.yaml";
  private static final ContentType PROMETHEUS = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
  private static final ContentType YAML = ContentTypes.parse("application/yaml");

  /** The answer of a process that runs. */
  record HealthView(String status) {}

  private final Readiness readiness;
  private final HttpMetrics metrics;
  private final ObjectMapper mapper;
  private final byte[] openApi;

  OperationsRoutes(Readiness readiness, HttpMetrics metrics, ObjectMapper mapper) {
    this.readiness = readiness;
    this.metrics = metrics;
    this.mapper = mapper;
    this.openApi = openApiDocument();
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(GET, "/health", Access.PROBE, call -> Responses.ok(mapper, new HealthView("healthy"))),
        new Endpoint(GET, "/ready", Access.PROBE, this::ready),
        new Endpoint(GET, "/metrics", Access.OPEN,
            call -> CompletableFuture.completedFuture(HttpResponse.create().withEntity(PROMETHEUS, metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)))),
        new Endpoint(GET, "/api/v1/openapi.yaml", Access.anyRole(),
            call -> CompletableFuture.completedFuture(HttpResponse.create().withEntity(YAML, openApi))));
  }

  /** 200 when every readiness check passes; else 503 naming the failing ones (decision 0039). */
  private CompletionStage<HttpResponse> ready(Call call) {
    return readiness.report().thenApply(report -> {
      if (!report.ready()) throw report.problem();
      return Responses.json(mapper, 200, report.body());
    });
  }

  static byte[] openApiDocument() {
    try (InputStream in = OperationsRoutes.class.getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the classpath");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
