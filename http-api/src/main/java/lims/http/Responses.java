package lims.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** JSON and problem+json responses, with the API's snake_case keys and ISO-8601 instants. */
public final class Responses {

  static final ContentType PROBLEM_JSON = ContentTypes.parse("application/problem+json");

  private Responses() {}

  public static ObjectMapper mapper() {
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .addModule(new Jdk8Module())
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .build();
  }

  public static HttpResponse json(ObjectMapper mapper, int status, Object body) {
    try {
      return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, mapper.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response not serializable", e);
    }
  }

  /** A list page, as docs/api.md (Lists) shapes every paged list: {"items": [...], "next_cursor": "..." | null}. */
  public static HttpResponse page(ObjectMapper mapper, lims.kernel.Page<?> page) {
    return json(mapper, 200, new PageView(page.items(), page.nextCursor()));
  }

  record PageView(java.util.List<?> items, String nextCursor) {}

  public static HttpResponse noContent() {
    return HttpResponse.create().withStatus(204);
  }

  public static CompletionStage<HttpResponse> ok(ObjectMapper mapper, Object body) {
    return CompletableFuture.completedFuture(json(mapper, 200, body));
  }

  static HttpResponse problem(ObjectMapper mapper, ProblemException p, String instance, String requestId) {
    ObjectNode body = mapper.createObjectNode();
    body.put("type", "urn:lims:problem:" + p.type());
    body.put("title", p.title());
    body.put("status", p.status());
    body.put("detail", p.detail());
    if (instance != null) body.put("instance", instance); // null: a request not parsed has no path
    body.put("request_id", requestId);
    p.extensions().forEach((k, v) -> body.set(k, mapper.valueToTree(v)));
    if (!p.errors().isEmpty()) {
      body.set("errors", mapper.valueToTree(p.errors()));
    }
    HttpResponse response;
    try {
      response = HttpResponse.create().withStatus(p.status()).withEntity(PROBLEM_JSON, mapper.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    for (var header : p.headers().entrySet()) {
      response = response.addHeader(RawHeader.create(header.getKey(), header.getValue()));
    }
    return response;
  }
}
