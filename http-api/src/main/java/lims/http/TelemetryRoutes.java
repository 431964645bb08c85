package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lims.device.Devices;
import lims.device.telemetry.Channel;
import lims.kernel.Role;
import lims.telemetry.ChannelCatalog;
import lims.telemetry.ReadingRefused;
import lims.telemetry.Telemetry;
import lims.telemetry.TelemetryQuery;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Telemetry (docs/telemetry.md; openapi.yaml, tag telemetry): an instrument adapter streams
 * batches of readings over a WebSocket or posts them as NDJSON, and is answered an ack per
 * stored batch and an error per refused reading; charts read a channel's history.
 */
final class TelemetryRoutes {

  /** Adapters: an instrument user linked to the device, or an administrator. */
  private static final Access STREAM = Access.roles(Role.INSTRUMENT, Role.ADMIN);
  /** Readers of a device's history: everyone who reads devices, but adapters. */
  private static final Access READ = Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.REVIEWER, Role.SCIENTIST, Role.VIEWER);
  private static final Pattern SHORT_STEP = Pattern.compile("([1-9][0-9]{0,5})(s|m|h|d)");
  private static final Duration MIN_STEP = Duration.ofSeconds(1);
  private static final Duration MAX_STEP = Duration.ofDays(1);

  /** One stored reading. */
  record PointView(Instant at, double value, Instant receivedAt, String quality) {}

  /** One bucket: readings in [at, at + step). */
  record BucketView(Instant at, double min, double avg, double max, long count) {}

  /** Raw readings ({@code points}) or, with a step, {@code buckets}. */
  record HistoryView(String deviceId, String channel, String unit, Instant from, Instant to, String step,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<PointView> points, @JsonInclude(JsonInclude.Include.NON_NULL) List<BucketView> buckets,
      boolean truncated) {}

  /** The answer to an NDJSON post: the batches stored (or stored before) and the refusals. */
  record IngestView(List<Long> acks, List<ReadingRefused> errors) {}

  private final Telemetry telemetry;
  private final ObjectMapper mapper;
  private final Materializer materializer;

  TelemetryRoutes(Telemetry telemetry, ObjectMapper mapper, Materializer materializer) {
    this.telemetry = telemetry;
    this.mapper = mapper;
    this.materializer = materializer;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(GET, "/api/v1/devices/{id}/telemetry/stream", STREAM, this::stream),
        new Endpoint(POST, "/api/v1/devices/{id}/telemetry", STREAM, this::post),
        new Endpoint(GET, "/api/v1/devices/{id}/telemetry", READ, this::history));
  }

  // --- adapters -------------------------------------------------------------------------

  /** Refused before the upgrade: an unknown device, a caller that may not stream for it, a request that is no WebSocket handshake. */
  private CompletionStage<HttpResponse> stream(Call call) {
    String id = deviceId(call);
    Optional<WebSocketUpgrade> upgrade = call.request().getAttribute(AttributeKeys.webSocketUpgrade);
    return known(id).thenApply(channels -> {
      mayStream(call, id);
      if (upgrade.isEmpty()) {
        throw new ProblemException(426, "upgrade-required", "Upgrade required",
            "this is a WebSocket: send the handshake (Upgrade: websocket), or POST batches as NDJSON to /api/v1/devices/" + id + "/telemetry",
            List.of(), Map.of("Upgrade", "websocket"));
      }
      return upgrade.get().handleMessagesWith(socket(id));
    });
  }

  /**
   * One message at a time: the next is not read before the previous is stored and answered,
   * so a slow database slows the adapter (TCP back-pressure) rather than filling the node.
   */
  private Flow<Message, Message, NotUsed> socket(String deviceId) {
    return Flow.<Message>create()
        .mapAsync(1, message -> answer(deviceId, message))
        .mapConcat(messages -> messages);
  }

  private CompletionStage<List<Message>> answer(String deviceId, Message message) {
    if (!message.isText()) {
      message.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), materializer);
      return CompletableFuture.completedFuture(messages(new Telemetry.Answer(Optional.empty(),
          List.of(new ReadingRefused("send each batch as a text message of JSON", null, -1, null)))));
    }
    TextMessage text = message.asTextMessage();
    CompletionStage<Optional<String>> whole = text.isStrict() ? CompletableFuture.completedFuture(Optional.of(text.getStrictText()))
        : bounded(text.getStreamedText());
    return whole.thenCompose(t -> t.isEmpty() ? CompletableFuture.completedFuture(telemetry.tooLarge()) : telemetry.accept(deviceId, t.get()))
        .thenApply(this::messages);
  }

  /** A message sent in frames, read within the time and size bounds; empty when it is over the size (the rest is read and dropped). */
  private CompletionStage<Optional<String>> bounded(Source<String, ?> frames) {
    int max = telemetry.settings().maxMessageBytes();
    return frames.completionTimeout(telemetry.settings().messageReadTimeout())
        .runFold(new StringBuilder(), (text, frame) -> text.length() > max ? text : text.append(frame), materializer)
        .thenApply(text -> text.length() > max ? Optional.<String>empty() : Optional.of(text.toString()));
  }

  /** The refusals first, then the ack: an adapter that sees the ack knows of every reading left out. */
  private List<Message> messages(Telemetry.Answer answer) {
    List<Message> out = new ArrayList<>();
    for (ReadingRefused refused : answer.refused()) out.add(TextMessage.create(json(refused)));
    answer.ack().ifPresent(seq -> out.add(TextMessage.create(json(Map.of("ack", seq)))));
    return out;
  }

  /** Batches as NDJSON, one per line, stored in order; the answer names each stored and each refusal. */
  private CompletionStage<HttpResponse> post(Call call) {
    String id = deviceId(call);
    return known(id).thenCompose(channels -> {
      mayStream(call, id);
      String mediaType = call.request().entity().getContentType().mediaType().toString();
      if (!mediaType.equals("application/x-ndjson")) {
        throw new ProblemException(415, "unsupported-media-type", "Unsupported media type",
            "send batches as application/x-ndjson (one JSON batch per line), not " + mediaType, List.of(), Map.of());
      }
      List<String> lines = new String(call.body(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
      if (lines.isEmpty()) throw ProblemException.invalid("body", "must hold at least one batch, one JSON object per line");
      return telemetry.acceptAll(id, lines);
    }).thenApply(answers -> {
      List<Long> acks = new ArrayList<>();
      List<ReadingRefused> errors = new ArrayList<>();
      for (Telemetry.Answer a : answers) {
        a.ack().ifPresent(acks::add);
        errors.addAll(a.refused());
      }
      return Responses.json(mapper, 200, new IngestView(acks, errors));
    });
  }

  /** An administrator streams for any device; an instrument user for the devices it is linked to. */
  private static void mayStream(Call call, String deviceId) {
    var caller = call.caller();
    if (caller.roles().contains(Role.ADMIN)) return;
    if (caller.devices().isEmpty()) {
      throw ProblemException.forbidden("user " + caller.username() + " is linked to no device: an administrator creates instrument users with device_ids");
    }
    if (!caller.devices().contains(deviceId)) {
      throw ProblemException.forbidden("user " + caller.username() + " streams telemetry for " + caller.devices() + " only, not " + deviceId);
    }
  }

  // --- readers --------------------------------------------------------------------------

  /**
   * A channel's history (default: the device's first) in [from, to) (default: the last hour): raw readings, or with a step
   * its buckets. More than {@code query.max-rows} of either is refused naming {@code step},
   * with the step that would fit, never cut short silently.
   */
  private CompletionStage<HttpResponse> history(Call call) {
    String id = deviceId(call);
    Optional<String> channelName = QueryParams.string(call, "channel");
    Telemetry.Range asked = telemetry.range(QueryParams.instant(call, "from"), QueryParams.instant(call, "to"));
    Instant from = asked.from();
    Instant to = asked.to();
    if (!from.isBefore(to)) throw ProblemException.invalid("from", "must be before to");
    Optional<Duration> step = QueryParams.string(call, "step").map(TelemetryRoutes::step);
    int maxRows = telemetry.settings().queryMaxRows();
    Duration range = Duration.between(from, to);
    if (step.isPresent() && range.dividedBy(step.get()) >= maxRows) throw tooMany(range, maxRows);
    return known(id).thenCompose(channels -> {
      Channel channel = channelName.isEmpty()
          ? channels.channels().stream().findFirst().orElseThrow(() -> ProblemException.notFound("channel", "device " + id + " reports no channel"))
          : channels.named(channelName.get())
              .orElseThrow(() -> ProblemException.notFound("channel", "device " + id + " has no channel '" + channelName.get() + "'"));
      if (step.isPresent()) {
        return telemetry.buckets(id, channel.name(), from, to, step.get()).thenApply(buckets -> Responses.json(mapper, 200,
            new HistoryView(id, channel.name(), channel.unit(), TelemetryQuery.alignedFrom(from, step.get()), to, step.get().toString(), null,
                buckets.stream().map(b -> new BucketView(b.at(), b.min(), b.avg(), b.max(), b.count())).toList(), false)));
      }
      return telemetry.readings(id, channel.name(), from, to, maxRows + 1).thenApply(points -> {
        if (points.size() > maxRows) throw tooMany(range, maxRows);
        return Responses.json(mapper, 200, new HistoryView(id, channel.name(), channel.unit(), from, to, null,
            points.stream().map(p -> new PointView(p.at(), p.value(), p.receivedAt(), p.quality().wireName())).toList(), null, false));
      });
    });
  }

  /** Over the row bound: the step, in whole seconds, that would answer the range in at most {@code maxRows} buckets. */
  private static ProblemException tooMany(Duration range, int maxRows) {
    long seconds = Math.max(1, (range.toSeconds() + maxRows - 1) / maxRows + 1);
    return ProblemException.invalid("step", "the range holds more than " + maxRows + " rows: ask with a step of at least " + seconds + "s");
  }

  /** {@code 10s}, {@code 1m}, {@code 1h}, {@code 1d} or an ISO-8601 duration ({@code PT1M}), between 1 s and 1 day. */
  static Duration step(String text) {
    Duration step;
    Matcher shorthand = SHORT_STEP.matcher(text);
    if (shorthand.matches()) {
      long n = Long.parseLong(shorthand.group(1));
      step = switch (shorthand.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    } else {
      try {
        step = Duration.parse(text);
      } catch (DateTimeParseException e) {
        throw ProblemException.invalid("step", "must be a duration such as 10s, 1m, 1h or PT1M");
      }
    }
    if (step.compareTo(MIN_STEP) < 0 || step.compareTo(MAX_STEP) > 0) throw ProblemException.invalid("step", "must be between 1s and 1d");
    return step;
  }

  /** 404 for a device that is not registered. */
  private CompletionStage<ChannelCatalog.DeviceChannels> known(String id) {
    return telemetry.channels(id).thenApply(c -> c.orElseThrow(() -> ProblemException.notFound("no device " + id)));
  }

  private static String deviceId(Call call) {
    String id = call.pathParam("id");
    if (!Devices.DEVICE_ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be a device id: 1-64 lower-case letters, digits or '-'");
    return id;
  }

  private String json(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
