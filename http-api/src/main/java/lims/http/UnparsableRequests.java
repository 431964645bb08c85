package lims.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers a request that the HTTP server could not even parse - a request target over
 * {@code pekko.http.server.parsing.max-uri-length} (414), a malformed percent escape (400),
 * headers over their limits (431) - as problem+json like every other refusal, instead of the
 * server's plain text. Such a request never reaches {@link HttpPipeline}; the server makes this
 * handler by its class name (LimsNode's server settings).
 */
public final class UnparsableRequests extends ParsingErrorHandler {

  private static final ObjectMapper MAPPER = Responses.mapper();

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    String requestId = UUID.randomUUID().toString();
    log.warning("request {} not parsed, answered {}: {}", requestId, status.intValue(), info.formatPretty());
    ProblemException problem = new ProblemException(status.intValue(), "unparsable-request", status.reason(), info.summary(), List.of(), Map.of());
    return Responses.problem(MAPPER, problem, null, requestId).addHeader(RawHeader.create(HttpPipeline.REQUEST_ID, requestId))
        .addHeaders(WebUi.SECURITY_HEADERS); // every answer of the node carries them (decision 0049)
  }
}
