package lims.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import lims.kernel.Failures;
import lims.kernel.IdempotencyStore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code Idempotency-Key} header of the create routes (decision 0040). The first request
 * with a key reserves, in the database, the id its entity will have; every request with the
 * same key, body, caller and route creates under that id, so the entity itself makes sure
 * there is one, and its first answer below 500 is stored and given to every repeat for at
 * least {@code lims.http.idempotency.window}. The same key with another body is refused 422;
 * an answer of 500 or more is not stored, so a repeat tries again (under the same id).
 */
final class IdempotencyKeys {

  private static final Logger log = LoggerFactory.getLogger(IdempotencyKeys.class);
  static final String HEADER = "Idempotency-Key";
  /** On an answer that is the stored one of an earlier request with the key. */
  static final String REPLAYED = "Idempotent-Replayed";
  /**
   * Visible ASCII, no spaces: nothing a log line or a column would mangle. Spaces are refused
   * because the HTTP parser reads a tab inside a header value as a space; other control
   * characters it refuses itself (400 problem+json) before any route sees the request.
   */
  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");

  /** The id to create under, and the token the entity keeps with its creation (null without a key). */
  record Reservation(String entityId, String token) {}

  private final IdempotencyStore store;
  private final ObjectMapper mapper;
  private final SecretKeySpec fingerprintKey;
  private final Clock clock;

  /** {@code secret}: the cluster's shared secret, so the stored fingerprint of a body holding a password cannot be guessed from the database alone. */
  IdempotencyKeys(IdempotencyStore store, ObjectMapper mapper, String secret, Clock clock) {
    this.store = store;
    this.mapper = mapper;
    this.fingerprintKey = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.clock = clock;
  }

  /**
   * Runs a create route's work once per key. Call it after the body is checked: a refused body
   * reserves nothing. {@code newId} gives the id of a create without a key, or of the first
   * with one; {@code create} creates under the reservation and answers.
   */
  CompletionStage<HttpResponse> create(Call call, Supplier<CompletionStage<String>> newId, Function<Reservation, CompletionStage<HttpResponse>> create) {
    Optional<String> key = key(call);
    if (key.isEmpty()) return newId.get().thenCompose(id -> create.apply(new Reservation(id, null)));
    IdempotencyStore.Scope scope = new IdempotencyStore.Scope(call.caller().username(), call.route(), key.get());
    String fingerprint = fingerprint(call.body());
    return store.find(scope)
        .thenCompose(found -> found.isPresent() ? CompletableFuture.completedFuture(found.get())
            : newId.get().thenCompose(id -> store.reserve(scope, fingerprint, id, UUID.randomUUID().toString(), clock.instant())))
        .thenCompose(entry -> {
          if (!entry.fingerprint().equals(fingerprint)) {
            throw reused(key.get());
          }
          if (entry.answered()) return CompletableFuture.completedFuture(replay(entry));
          return answer(call, CompletableFuture.completedFuture(entry).thenCompose(e -> create.apply(new Reservation(e.entityId(), e.token()))))
              .thenCompose(response -> response.status().intValue() >= 500 ? CompletableFuture.completedFuture(response) : store(scope, response));
        });
  }

  /** 422: {@code key} was sent before with another request. */
  static ProblemException reused(String key) {
    return new ProblemException(422, "idempotency-key-reused", "Idempotency key reused",
        HEADER + " '" + key + "' was sent before with another body; send a new key for a new request",
        List.of(new FieldError(HEADER, "was used with another body")), Map.of());
  }

  /** The request's key; 400 naming the header when it is empty, too long, repeated or holds a control character. */
  static Optional<String> key(Call call) {
    List<String> values = new ArrayList<>();
    call.request().getHeaders().forEach(h -> {
      if (h.is(HEADER.toLowerCase(java.util.Locale.ROOT))) values.add(h.value());
    });
    if (values.isEmpty()) return Optional.empty();
    if (values.size() > 1) throw ProblemException.invalid(HEADER, "send it once");
    String key = values.get(0);
    if (key.isEmpty()) throw ProblemException.invalid(HEADER, "must not be empty");
    if (key.length() > 255) throw ProblemException.invalid(HEADER, "must be at most 255 characters");
    if (!KEY.matcher(key).matches()) throw ProblemException.invalid(HEADER, "must be 1-255 visible ASCII characters (a UUID, say): no spaces or control characters");
    return Optional.of(key);
  }

  /** Stores {@code response} as the key's answer unless another request stored one first; answers with the stored one. */
  private CompletionStage<HttpResponse> store(IdempotencyStore.Scope scope, HttpResponse response) {
    if (!(response.entity() instanceof HttpEntity.Strict strict)) {
      throw new IllegalStateException("the answer of " + scope.route() + " is streamed, so it cannot be stored for repeats");
    }
    String body = strict.getData().utf8String();
    return store.answer(scope, response.status().intValue(), strict.getContentType().toString(), body)
        .thenApply(stored -> stored.status() == response.status().intValue() && body.equals(stored.body()) ? response : replay(stored));
  }

  private static HttpResponse replay(IdempotencyStore.Entry entry) {
    return HttpResponse.create().withStatus(entry.status())
        .withEntity(ContentTypes.parse(entry.contentType()), entry.body().getBytes(StandardCharsets.UTF_8))
        .addHeader(RawHeader.create(REPLAYED, "true"));
  }

  /** The create's answer, a refusal (below 500) rendered as the pipeline would: that too is the key's answer. */
  private CompletionStage<HttpResponse> answer(Call call, CompletionStage<HttpResponse> created) {
    return created.handle((response, failure) -> {
      if (failure == null) return CompletableFuture.completedFuture(response);
      if (Failures.cause(failure) instanceof ProblemException p && p.status() < 500) {
        return CompletableFuture.completedFuture(Responses.problem(mapper, p, call.request().getUri().path(), call.requestId()));
      }
      return CompletableFuture.<HttpResponse>failedFuture(failure);
    }).thenCompose(Function.identity());
  }

  /** HMAC-SHA-256 of the body with its object keys sorted: the same request however its fields are ordered or spaced. */
  private String fingerprint(byte[] body) {
    byte[] canonical;
    try {
      canonical = mapper.writer().with(JsonNodeFeature.WRITE_PROPERTIES_SORTED).writeValueAsBytes(mapper.readTree(body));
    } catch (IOException e) {
      canonical = body; // never: the route has read the body as JSON before
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(fingerprintKey);
      return HexFormat.of().formatHex(mac.doFinal(canonical));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** Forgets keys older than {@code window}, every {@code interval}, on this node (several nodes purging at once is harmless). */
  void purgeEvery(ActorSystem<?> system, Duration window, Duration interval) {
    system.scheduler().scheduleWithFixedDelay(interval, interval, () -> store.purge(clock.instant().minus(window))
        .whenComplete((purged, failure) -> {
          if (failure != null) log.warn("could not purge idempotency keys older than {}: {}", window, Failures.message(failure));
          else if (purged > 0) log.info("purged {} idempotency keys older than {}", purged, window);
        }), system.executionContext());
  }
}
