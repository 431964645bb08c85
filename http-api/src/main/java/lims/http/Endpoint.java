package lims.http;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * One route of the API: method, path template ({@code /api/v1/users/{username}}), who may
 * call it, and its handler. The list of endpoints is the single source of the routes the
 * server answers, the roles they need, the metrics' route labels, and the check that
 * openapi.yaml documents every one of them.
 */
public record Endpoint(HttpMethod method, String template, Access access, Handler handler) {

  @FunctionalInterface
  public interface Handler {
    CompletionStage<HttpResponse> handle(Call call) throws Exception;
  }

  /** The template's segments; a segment in braces is a path parameter. */
  List<String> segments() {
    return List.of(template.substring(1).split("/"));
  }
}
