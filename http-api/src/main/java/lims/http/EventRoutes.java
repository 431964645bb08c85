package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import lims.device.telemetry.LiveTelemetry;
import lims.kernel.Role;
import lims.security.Principal;
import lims.security.TokenService;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * {@code GET /api/v1/events}: the live changes of the lab as Server-Sent Events (docs/api.md,
 * Live events; decision 0048). Each change carries its journal ordering as its id; a client
 * that reconnects with {@code Last-Event-ID} (or {@code ?last_event_id=}) gets exactly the
 * changes after it, read from the journal, unless the first of them is older than
 * {@code resume-window}: then one {@code reload} event. A role sees the changes of the
 * entities it may read: those the read route of the entity admits it to.
 */
final class EventRoutes {

  static final String PATH = "/api/v1/events";
  static final String LAST_EVENT_ID = "Last-Event-ID";
  static final String LAST_EVENT_ID_PARAMETER = "last_event_id";
  private static final Pattern ORDERING = Pattern.compile("[0-9]{1,18}");

  /** The route that reads each kind of entity: who may call it may see the entity's changes. One home: the endpoint table. */
  static final Map<String, String> READ_ROUTES = Map.of(
      DomainChanges.DEVICE, "/api/v1/devices",
      DomainChanges.EXECUTION, "/api/v1/executions/{id}",
      DomainChanges.SPECIMEN, "/api/v1/specimens",
      DomainChanges.WORKFLOW, "/api/v1/workflows",
      DomainChanges.LAB_TEST, "/api/v1/lab-tests",
      DomainChanges.LAB_TEST_EXECUTION, "/api/v1/lab-tests/{id}/executions",
      DomainChanges.DEAD_LETTER, "/api/v1/dead-letters",
      DomainChanges.ANALYSIS, "/api/v1/analyses/{id}",
      DomainChanges.USER, "/api/v1/users/{username}");

  private static final ByteString RETRY = ByteString.fromString("retry: 2000\n\n");
  private static final ByteString HEARTBEAT = ByteString.fromString(": heartbeat\n\n");

  private final ChangeFeed feed;
  private final TokenService tokens;
  private final Map<String, Set<Role>> readers;
  private final Duration heartbeat;
  private final Duration resumeWindow;

  private EventRoutes(ChangeFeed feed, TokenService tokens, Map<String, Set<Role>> readers, Config events) {
    this.feed = feed;
    this.tokens = tokens;
    this.readers = readers;
    this.heartbeat = events.getDuration("heartbeat");
    this.resumeWindow = events.getDuration("resume-window");
  }

  /** The route, with this node's follower of the journal started; {@code endpoints}: every other route, for the roles. */
  static EventRoutes start(ActorSystem<?> system, Config events, TokenService tokens, ObjectMapper mapper,
      io.micrometer.core.instrument.MeterRegistry registry, List<Endpoint> endpoints, LiveTelemetry liveTelemetry) {
    ChangeFeed feed = ChangeFeed.start(system, events, mapper, registry);
    TelemetryFrames.follow(liveTelemetry, feed);
    return new EventRoutes(feed, tokens, readers(endpoints), events);
  }

  List<Endpoint> endpoints() {
    return List.of(new Endpoint(GET, PATH, Access.anyRole(), this::stream));
  }

  /** Who may read each kind of entity, from the GET route that reads it; a route missing from the table stops the start. */
  static Map<String, Set<Role>> readers(List<Endpoint> endpoints) {
    Map<String, Set<Role>> readers = new HashMap<>();
    READ_ROUTES.forEach((entity, template) -> readers.put(entity, endpoints.stream()
        .filter(e -> e.method().equals(GET) && e.template().equals(template)).findFirst()
        .orElseThrow(() -> new IllegalStateException("the event stream shows " + entity + " changes to the readers of GET " + template
            + ", which is not a route"))
        .access().roles()));
    return readers;
  }

  /**
   * The kinds of entity a caller may see. A viewer linked to a client sees no specimen or
   * analysis changes: a change does not say whose specimen it is, and the caller may see only
   * its client's (it reads them through the specimen routes, which are scoped).
   */
  Set<String> visibleTo(Principal caller) {
    Set<String> visible = new TreeSet<>();
    readers.forEach((entity, roles) -> {
      if (caller.hasAnyRole(roles)) visible.add(entity);
    });
    if (caller.clientScope().isPresent()) visible.removeAll(Set.of(DomainChanges.SPECIMEN, DomainChanges.ANALYSIS));
    return visible;
  }

  private CompletionStage<HttpResponse> stream(Call call) {
    OptionalLong lastSeen = lastEventId(call);
    Duration tokenLeft;
    try {
      tokenLeft = tokens.timeLeft(bearer(call));
    } catch (TokenService.InvalidToken e) { // the pipeline accepted it a moment ago: expired since
      throw ProblemException.unauthorized(e.getMessage());
    }
    Set<String> visible = visibleTo(call.caller());
    return feed.subscribe(visible).thenCompose(subscription -> {
      feed.endAfter(subscription.client(), tokenLeft, ChangeFeed.Ending.TOKEN_EXPIRED);
      CompletionStage<Start> start = lastSeen.isEmpty()
          ? java.util.concurrent.CompletableFuture.completedFuture(new Start(Source.single(open(subscription.position())), -1))
          : resume(lastSeen.getAsLong(), subscription, visible);
      return start.handle((first, failure) -> {
        if (failure != null) {
          feed.forget(subscription.client());
          throw failure instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(failure);
        }
        return response(first, subscription);
      });
    });
  }

  /** How a stream starts, and after which ordering its live changes count (those the start did not cover). */
  private record Start(Source<ChangeFeed.Frame, NotUsed> first, long liveAfter) {}

  /** After {@code lastSeen}: the changes up to the subscription's position from the journal, or a reload. */
  private CompletionStage<Start> resume(long lastSeen, ChangeFeed.Subscription subscription, Set<String> visible) {
    long position = subscription.position();
    return feed.journal().resume(lastSeen, resumeWindow).thenApply(resume -> switch (resume) {
      // A client that resumes from an id this node has not reached yet (it came from a node ahead) gets only what follows it.
      case REPLAY -> new Start(Source.single(open(lastSeen)).concat(feed.replay(lastSeen, position, visible)), lastSeen);
      case TOO_OLD -> new Start(Source.single(reload(position, "too_old")), -1);
      case UNKNOWN -> new Start(Source.single(reload(position, "unknown_id")), -1);
    });
  }

  private HttpResponse response(Start start, ChangeFeed.Subscription subscription) {
    ChangeFeed.Client client = subscription.client();
    // Changes the start covered already are skipped by their ordering; telemetry has none and always passes.
    Source<ChangeFeed.Frame, NotUsed> live = subscription.live().filter(frame -> !frame.resumable() || frame.ordering() > start.liveAfter());
    Source<ByteString, NotUsed> body = Source.single(RETRY)
        .concat(start.first().concat(live).map(ChangeFeed.Frame::bytes))
        // Lazily: the reason is known only once the live changes have ended (concat would ask at the start).
        .concatLazy(Source.lazySingle(() -> closing(client)))
        .keepAlive(heartbeat, () -> HEARTBEAT)
        .watchTermination((notUsed, done) -> {
          done.whenComplete((ok, failure) -> feed.forget(client));
          return notUsed;
        });
    return HttpResponse.create()
        .withEntity(HttpEntities.createChunked(ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM), body))
        .addHeader(RawHeader.create("Cache-Control", "no-cache"))
        // Proxies that buffer answers (nginx) would hold the events back.
        .addHeader(RawHeader.create("X-Accel-Buffering", "no"));
  }

  private ChangeFeed.Frame open(long position) {
    return new ChangeFeed.Frame(position, "", feed.event(position, "open", Map.of("type", "open")));
  }

  private ChangeFeed.Frame reload(long position, String reason) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("type", "reload");
    data.put("reason", reason);
    return new ChangeFeed.Frame(position, "", feed.event(position, "reload", data));
  }

  private ByteString closing(ChangeFeed.Client client) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("type", "closing");
    data.put("reason", client.ending().orElse(ChangeFeed.Ending.NODE_STOPPING).wireName());
    return feed.event(null, "closing", data);
  }

  /** The header (as EventSource sends it on a reconnect) or the query parameter; empty (or an empty value) when it is a first connection. */
  static OptionalLong lastEventId(Call call) {
    Optional<String> header = call.request().getHeader(LAST_EVENT_ID).map(HttpHeader::value).filter(v -> !v.isEmpty());
    String field = header.isPresent() ? LAST_EVENT_ID : LAST_EVENT_ID_PARAMETER;
    Optional<String> value = header.isPresent() ? header : QueryParams.string(call, LAST_EVENT_ID_PARAMETER);
    if (value.isEmpty()) return OptionalLong.empty();
    if (!ORDERING.matcher(value.get()).matches()) {
      throw ProblemException.invalid(field, "must be the id of an event this stream sent: a whole number, at most 18 digits");
    }
    return OptionalLong.of(Long.parseLong(value.get()));
  }

  private static String bearer(Call call) {
    return call.request().getHeader("Authorization").map(HttpHeader::value).map(v -> v.substring(7).strip()).orElse("");
  }
}
