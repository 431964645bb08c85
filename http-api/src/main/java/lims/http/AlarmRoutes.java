package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;
import static org.apache.pekko.http.javadsl.model.HttpMethods.PUT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.device.Device;
import lims.device.DeviceReadModel;
import lims.device.Devices;
import lims.device.telemetry.Alarm;
import lims.device.telemetry.AlarmWatches;
import lims.device.telemetry.Channel;
import lims.device.telemetry.ChannelRules;
import lims.kernel.Role;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * A device's telemetry channels and the alarms they raise (docs/domain.md, Alarms; openapi.yaml,
 * tag alarms). The rules live in ChannelRules, AlarmRules and the Device entity.
 */
final class AlarmRoutes {

  /** Everyone but instrument adapters, as for the readings themselves. */
  private static final Access READERS = Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST, Role.REVIEWER, Role.VIEWER);
  /** The people who look after the instruments. */
  private static final Access ACKNOWLEDGE = Access.roles(Role.ADMIN, Role.TECHNICIAN);
  private static final int MAX_COMMENT = 500;

  record ChannelView(String name, String unit, Double low, Double high, double hysteresis, Double maxRatePerSecond, String samplingPeriod,
      int staleAfterPeriods, String severity) {
    static ChannelView of(Channel c) {
      return new ChannelView(c.name(), c.unit(), c.low(), c.high(), c.hysteresis(), c.maxRatePerSecond(), c.samplingPeriod().toString(),
          c.staleAfterPeriods(), c.severity().wireName());
    }
  }

  /** {@code source}: "device" when an administrator declared them, else "type" (the configured defaults). */
  record ChannelsView(String deviceId, String source, List<ChannelView> channels) {}

  /** {@code value}: the reading that raised it, taken at {@code reading_at}; {@code cleared_value}: the one that cleared it. */
  record AlarmView(String id, String deviceId, String channel, String kind, String severity, Instant raisedAt, double value, double threshold,
      Instant readingAt, Instant clearedAt, Double clearedValue, String acknowledgedBy, Instant acknowledgedAt, String comment,
      boolean active) {
    static AlarmView of(Alarm a) {
      return new AlarmView(a.id(), a.deviceId(), a.channel(), a.kind().wireName(), a.severity().wireName(), a.raisedAt(), a.value(),
          a.threshold(), a.readingAt(), a.clearedAt(), a.clearedValue(), a.acknowledgedBy(), a.acknowledgedAt(), a.comment(), a.active());
    }
  }

  private final Devices devices;
  private final AlarmWatches watches;
  private final ObjectMapper mapper;

  AlarmRoutes(Devices devices, AlarmWatches watches, ObjectMapper mapper) {
    this.devices = devices;
    this.watches = watches;
    this.mapper = mapper;
  }

  List<Endpoint> endpoints() {
    return List.of(
        // Adapters read their channels too (ranges, units, sampling periods).
        new Endpoint(GET, "/api/v1/devices/{id}/telemetry/channels", Access.anyRole(), this::channels),
        new Endpoint(PUT, "/api/v1/devices/{id}/telemetry/channels", Access.roles(Role.ADMIN), this::declareChannels),
        new Endpoint(GET, "/api/v1/alarms", READERS, this::alarms),
        new Endpoint(POST, "/api/v1/alarms/{id}/acknowledge", ACKNOWLEDGE, this::acknowledge));
  }

  private CompletionStage<HttpResponse> channels(Call call) {
    String id = DeviceRoutes.deviceId(call, "id");
    return devices.ask(id, Device.GetTelemetry::new)
        .thenApply(reply -> Responses.json(mapper, 200, view(id, Replies.expect(reply, Device.TelemetryReply.class))));
  }

  private CompletionStage<HttpResponse> declareChannels(Call call) {
    String id = DeviceRoutes.deviceId(call, "id");
    JsonBody body = call.json();
    // What GET answered may be sent back as it is: its device_id and source are read and ignored.
    body.raw("device_id");
    body.raw("source");
    JsonNode given = body.raw("channels");
    if (given == null || given.isNull()) body.reject("channels", "is required (an empty list: the device reports nothing)");
    List<JsonBody> items = body.optionalObjects("channels", ChannelRules.MAX_CHANNELS);
    List<Channel> channels = new ArrayList<>();
    for (JsonBody item : items) {
      channels.add(channel(item));
      item.refuseUnknown();
    }
    body.finish();
    ChannelRules.problem(channels).ifPresent(p -> {
      throw ProblemException.invalid(p.index() < 0 ? p.field() : "channels[" + p.index() + "]." + p.field(), p.message());
    });
    return devices.ask(id, r -> new Device.DeclareChannels(channels, call.caller().username(), r)).thenApply(reply -> {
      Device.TelemetryReply declared = Replies.expect(reply, Device.TelemetryReply.class);
      watches.channelsChanged(id);
      return Responses.json(mapper, 200, view(id, declared));
    });
  }

  private CompletionStage<HttpResponse> alarms(Call call) {
    boolean activeOnly = QueryParams.string(call, "active").map(v -> switch (v) {
      case "true" -> true;
      case "false" -> false;
      default -> throw ProblemException.invalid("active", "must be true or false");
    }).orElse(false);
    Optional<String> deviceId = QueryParams.matching(call, "device_id", Devices.DEVICE_ID, DeviceRoutes.DEVICE_ID_RULE);
    int limit = QueryParams.limit(call);
    var after = QueryParams.keysetCursor(call);
    return devices.readModel().alarms(new DeviceReadModel.AlarmFilter(activeOnly, deviceId), limit, after)
        .thenApply(page -> Responses.page(mapper, page.map(AlarmView::of)));
  }

  private CompletionStage<HttpResponse> acknowledge(Call call) {
    String alarmId = call.pathParam("id");
    String deviceId = Alarm.deviceOf(alarmId).filter(d -> Devices.DEVICE_ID.matcher(d).matches())
        .orElseThrow(() -> ProblemException.invalid("id", "must be an alarm id such as incubator-1~3"));
    JsonBody body = call.json();
    String comment = body.requiredString("comment", MAX_COMMENT);
    body.finish();
    return devices.ask(deviceId, r -> new Device.AcknowledgeAlarm(alarmId, call.caller().username(), comment, r))
        .thenApply(reply -> Responses.json(mapper, 200, AlarmView.of(Replies.expect(reply, Device.AlarmReply.class).alarm())));
  }

  private ChannelsView view(String id, Device.TelemetryReply t) {
    boolean declared = t.telemetry().declaredChannels().isPresent();
    List<Channel> channels = watches.typeChannels().effective(t.type().wireName(), t.telemetry());
    return new ChannelsView(id, declared ? "device" : "type", channels.stream().map(ChannelView::of).toList());
  }

  /** One channel as sent; a value refused here is named ({@code channels[i].low}) and the channel's rules are checked after. */
  private static Channel channel(JsonBody item) {
    String name = item.requiredString("name", 64);
    String unit = item.requiredString("unit", 16);
    Double low = number(item, "low");
    Double high = number(item, "high");
    Double hysteresis = number(item, "hysteresis");
    Double maxRate = number(item, "max_rate_per_second");
    Duration period = duration(item, "sampling_period");
    int stalePeriods = item.optionalInt("stale_after_periods", 0, 1, ChannelRules.MAX_STALE_PERIODS);
    if (!item.has("stale_after_periods")) item.reject("stale_after_periods", "is required");
    Channel.Severity severity = item.requiredEnum("severity", Channel.Severity::fromWireName, "warning, critical");
    return new Channel(name, unit, low, high, hysteresis == null ? 0.0 : hysteresis, maxRate, period, stalePeriods, severity);
  }

  private static Double number(JsonBody item, String field) {
    JsonNode node = item.raw(field);
    if (node == null || node.isNull()) return null;
    if (!node.isNumber() || !Double.isFinite(node.asDouble())) {
      item.reject(field, "must be a number");
      return null;
    }
    return node.asDouble();
  }

  /** ISO-8601 (PT1S, PT0.5S) or a number and ms, s, m, h (500ms, 10s, 1m). */
  private static Duration duration(JsonBody item, String field) {
    String text = item.requiredString(field, 32);
    if (text == null) return null;
    try {
      if (text.startsWith("P") || text.startsWith("p")) return Duration.parse(text);
      var m = java.util.regex.Pattern.compile("([0-9]{1,9})(ms|s|m|h)").matcher(text);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
      }
    } catch (DateTimeParseException e) {
      // refused below
    }
    item.reject(field, "must be a duration such as PT1S or 500ms");
    return null;
  }
}
