package lims.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import lims.kernel.Database;
import lims.kernel.Failures;
import lims.security.AddressPolicy;
import lims.security.Principal;
import lims.security.TokenService;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Every request takes the same path: request id, IP allowlist (before anything else),
 * routing (404/405; a GET outside /api/ that no endpoint answers goes to the web UI's files),
 * token and role (401/403), body read within the size limit (413), the handler, then one
 * mapping of failures to problem+json, one access-log line, one metric and the security
 * headers. Handlers only do their own work.
 */
public final class HttpPipeline {

  private static final Logger accessLog = LoggerFactory.getLogger("lims.access");
  private static final Logger log = LoggerFactory.getLogger(HttpPipeline.class);
  static final String REQUEST_ID = "X-Request-Id";
  private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private final Router router;
  private final AddressPolicy addresses;
  private final TokenService tokens;
  private final HttpMetrics metrics;
  private final ObjectMapper mapper;
  private final RequestBody body;
  private final WebUi webUi = new WebUi();

  public HttpPipeline(
      List<Endpoint> endpoints,
      AddressPolicy addresses,
      TokenService tokens,
      HttpMetrics metrics,
      ObjectMapper mapper,
      Materializer materializer,
      Config http) {
    this.router = new Router(endpoints);
    this.addresses = addresses;
    this.tokens = tokens;
    this.metrics = metrics;
    this.mapper = mapper;
    this.body = RequestBody.of(http, materializer);
  }

  /** What is learned about one request as it passes through, for its log line and metric. */
  private static final class Exchange {
    final long startNanos = System.nanoTime();
    final String requestId;
    final InetAddress client;
    String route = "unmatched";
    String user = "-";

    Exchange(String requestId, InetAddress client) {
      this.requestId = requestId;
      this.client = client;
    }
  }

  public CompletionStage<HttpResponse> handle(HttpRequest request) {
    Exchange exchange = new Exchange(requestId(request), clientAddress(request));
    // Pekko answers a request that outlives pekko.http.server.request-timeout itself; make that
    // answer a problem too, with its access-log line and metric.
    request.getHeader(org.apache.pekko.http.javadsl.model.headers.TimeoutAccess.class).ifPresent(access ->
        access.timeoutAccess().updateHandler(timedOut -> finish(timedOut, Responses.problem(mapper,
            new ProblemException(503, "timeout", "Request timeout", "the request took longer than the server allows; try again",
                List.of(), java.util.Map.of("Retry-After", "1")), timedOut.getUri().path(), exchange.requestId), exchange)));
    CompletionStage<HttpResponse> response;
    MDC.put("request_id", exchange.requestId);
    try {
      response = dispatch(request, exchange);
    } catch (Throwable t) { // refused before the body was read: get it out of the way first
      response = body.refuse(request, t);
    } finally {
      MDC.remove("request_id");
    }
    return response
        .exceptionally(failure -> problemResponse(failure, request, exchange))
        .thenApply(r -> finish(request, r, exchange));
  }

  private CompletionStage<HttpResponse> dispatch(HttpRequest request, Exchange exchange) throws Exception {
    Router.Match match = router.route(request.method(), segments(request));
    boolean probe = match instanceof Router.Found f && f.endpoint().access().probe();
    if (!probe && !addresses.allows(exchange.client)) {
      throw ProblemException.forbidden("requests from " + exchange.client.getHostAddress() + " are not allowed");
    }
    if (match instanceof Router.NotFound) {
      if (WebUi.serves(request)) {
        exchange.route = WebUi.ROUTE;
        Optional<HttpResponse> page = webUi.answer(request, segments(request));
        if (page.isPresent()) return body.read(request).thenApply(ignored -> page.get());
      }
      throw ProblemException.notFound("no resource at " + request.getUri().path());
    }
    if (match instanceof Router.MethodNotAllowed m) {
      exchange.route = m.template();
      throw new ProblemException(
          405, "method-not-allowed", "Method not allowed",
          request.method().name() + " is not allowed on " + m.template() + "; allowed: " + String.join(", ", m.allowed()),
          List.of(), java.util.Map.of("Allow", String.join(", ", m.allowed())));
    }
    Router.Found found = (Router.Found) match;
    Endpoint endpoint = found.endpoint();
    exchange.route = endpoint.template();
    Optional<Principal> principal = authenticate(request, endpoint.access(), exchange);
    return body.read(request)
        .thenCompose(
            bytes -> {
              Call call = new Call(request, request.method().name() + " " + endpoint.template(), found.pathParams(), principal,
                  exchange.requestId, exchange.client, bytes, mapper);
              try {
                return endpoint.handler().handle(call);
              } catch (Exception e) {
                return CompletableFuture.failedFuture(e);
              }
            });
  }

  private Optional<Principal> authenticate(HttpRequest request, Access access, Exchange exchange) {
    if (!access.tokenRequired()) {
      return Optional.empty();
    }
    String authorization = request.getHeader("Authorization").map(HttpHeader::value).orElse("");
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw ProblemException.unauthorized("send an access token as 'Authorization: Bearer <token>'");
    }
    Principal principal;
    try {
      principal = tokens.verifyAccess(authorization.substring(7).strip());
    } catch (TokenService.InvalidToken e) {
      throw ProblemException.unauthorized(e.getMessage());
    }
    exchange.user = principal.username();
    if (!principal.hasAnyRole(access.roles())) {
      throw ProblemException.forbidden(
          "this needs one of the roles " + access.roles().stream().map(r -> r.wireName()).sorted().toList());
    }
    return Optional.of(principal);
  }

  private HttpResponse problemResponse(Throwable failure, HttpRequest request, Exchange exchange) {
    Throwable cause = Failures.cause(failure);
    ProblemException problem;
    if (cause instanceof ProblemException p) {
      problem = p;
    } else if (cause instanceof lims.kernel.Refusal refusal) {
      problem = ProblemException.of(refusal.rejection());
    } else if (cause instanceof EntityStreamSizeException) { // over the parser's limit: not even drained
      problem = body.tooLarge();
    } else if (cause instanceof EntityStreamException e) { // a malformed chunk, an upload cut off, a chunk over the parser's limit
      problem = ProblemException.badRequest("unreadable-body", "the request body could not be read: " + e.info().summary());
    } else if (cause instanceof TimeoutException) {
      problem = ProblemException.unavailable("the service did not answer in time; try again");
    } else if (cause instanceof Database.DatabaseUnavailable) {
      log.warn("database unavailable: {}", cause.getMessage());
      problem = ProblemException.unavailable("the database is not answering; try again");
    } else {
      // A server fault: the log keeps the stack trace, the client gets the request id to quote.
      MDC.put("request_id", exchange.requestId);
      log.error("unhandled failure on {} {}", request.method().name(), request.getUri().path(), cause);
      MDC.remove("request_id");
      problem = new ProblemException(500, "internal-error", "Internal error",
          "an unexpected error occurred; quote request id " + exchange.requestId, List.of(), java.util.Map.of());
    }
    return Responses.problem(mapper, problem, request.getUri().path(), exchange.requestId);
  }

  private HttpResponse finish(HttpRequest request, HttpResponse response, Exchange exchange) {
    Duration latency = Duration.ofNanos(System.nanoTime() - exchange.startNanos);
    int status = response.status().intValue();
    metrics.record(request.method().name(), exchange.route, status, latency);
    accessLog
        .atInfo()
        .addKeyValue("method", request.method().name())
        .addKeyValue("path", request.getUri().path())
        .addKeyValue("route", exchange.route)
        .addKeyValue("status", status)
        .addKeyValue("latency_ms", latency.toNanos() / 1_000_000.0)
        .addKeyValue("user", exchange.user)
        .addKeyValue("client", exchange.client.getHostAddress())
        .addKeyValue("request_id", exchange.requestId)
        .log("request");
    return response.addHeader(RawHeader.create(REQUEST_ID, exchange.requestId)).addHeaders(WebUi.SECURITY_HEADERS);
  }

  private static String requestId(HttpRequest request) {
    return request
        .getHeader(REQUEST_ID)
        .map(HttpHeader::value)
        .filter(v -> CLIENT_REQUEST_ID.matcher(v).matches())
        .orElseGet(() -> UUID.randomUUID().toString());
  }

  private InetAddress clientAddress(HttpRequest request) {
    InetAddress peer =
        request.getAttribute(AttributeKeys.remoteAddress)
            .flatMap(RemoteAddress::getAddress)
            .orElseThrow(() -> new IllegalStateException("pekko.http.server.remote-address-attribute must be on"));
    List<String> forwarded = new ArrayList<>();
    request.getHeaders().forEach(h -> {
      if (h.is("x-forwarded-for")) forwarded.add(h.value());
    });
    return addresses.clientAddress(peer, forwarded);
  }

  private static List<String> segments(HttpRequest request) {
    List<String> segments = new ArrayList<>();
    request.getUri().pathSegments().forEach(segments::add);
    return segments;
  }
}
