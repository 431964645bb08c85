package lims.telemetry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import lims.device.telemetry.Channel;
import lims.device.telemetry.Reading;

/**
 * The adapter's batch {@code {"seq": 17, "readings": [{"channel", "at", "value", "unit"}]}}
 * read and checked against its device's channels (docs/telemetry.md). A bad reading is
 * refused alone, naming its index and field; the rest of the batch is stored. A message that
 * is not a batch at all (not JSON, no seq, too many readings, too large) is refused whole.
 */
final class BatchCheck {

  /** What a message turned out to be. */
  sealed interface Checked {}

  /** Nothing of it is stored, and it is not acknowledged. */
  record Refused(ReadingRefused why) implements Checked {}

  /** A batch: the readings to store and the ones refused. */
  record Batch(long seq, List<Reading> readings, List<ReadingRefused> refused) implements Checked {}

  private final ObjectMapper mapper;
  private final TelemetrySettings settings;

  BatchCheck(ObjectMapper mapper, TelemetrySettings settings) {
    this.mapper = mapper;
    this.settings = settings;
  }

  Checked check(String message, ChannelCatalog.DeviceChannels channels, Instant receivedAt) {
    if (message.length() > settings.maxMessageBytes() || message.getBytes(StandardCharsets.UTF_8).length > settings.maxMessageBytes()) {
      return tooLarge();
    }
    JsonNode root;
    try {
      root = mapper.readTree(message);
    } catch (JsonProcessingException e) {
      return new Refused(ReadingRefused.whole(null, null, "not a JSON batch: " + e.getOriginalMessage()));
    }
    if (root == null || !root.isObject()) return new Refused(ReadingRefused.whole(null, null, "a batch is a JSON object {\"seq\", \"readings\"}"));
    JsonNode seqNode = root.get("seq");
    if (seqNode == null || !seqNode.canConvertToExactIntegral() || !seqNode.canConvertToLong() || seqNode.asLong() < 1) {
      return new Refused(ReadingRefused.whole(null, "seq", "seq must be a positive whole number"));
    }
    long seq = seqNode.asLong();
    JsonNode readings = root.get("readings");
    if (readings == null || !readings.isArray()) return new Refused(ReadingRefused.whole(seq, "readings", "readings must be an array"));
    if (readings.size() > settings.maxBatch()) {
      return new Refused(ReadingRefused.whole(seq, "readings", "a batch holds at most " + settings.maxBatch() + " readings; send " + readings.size()
          + " as smaller batches"));
    }
    List<Reading> accepted = new ArrayList<>(readings.size());
    List<ReadingRefused> refused = new ArrayList<>();
    for (int i = 0; i < readings.size(); i++) {
      int index = i;
      reading(readings.get(i), channels, receivedAt).ifPresentOrElse(
          problem -> refused.add(new ReadingRefused(problem.error(), seq, index, problem.field())),
          () -> accepted.add(parsed(readings.get(index), channels, receivedAt)));
    }
    return new Batch(seq, accepted, refused);
  }

  ReadingRefused tooLargeRefusal() {
    return ReadingRefused.whole(null, null, "a message is at most " + settings.maxMessageBytes() + " bytes; send smaller batches");
  }

  private Refused tooLarge() {
    return new Refused(tooLargeRefusal());
  }

  private record Problem(String field, String error) {}

  /** Why a reading may not be stored, if it may not. */
  private Optional<Problem> reading(JsonNode r, ChannelCatalog.DeviceChannels channels, Instant receivedAt) {
    if (r == null || !r.isObject()) return Optional.of(new Problem(null, "a reading is an object {\"channel\", \"at\", \"value\", \"unit\"}"));
    JsonNode name = r.get("channel");
    if (name == null || !name.isTextual()) return Optional.of(new Problem("channel", "channel must be a channel's name"));
    Optional<Channel> channel = channels.named(name.asText());
    if (channel.isEmpty()) {
      return Optional.of(new Problem("channel", "device " + channels.deviceId() + " has no channel '" + name.asText() + "'; its channels: "
          + channels.channels().stream().map(Channel::name).toList()));
    }
    JsonNode unit = r.get("unit");
    if (unit == null || !unit.isTextual() || !unit.asText().equals(channel.get().unit())) {
      return Optional.of(new Problem("unit", "channel " + channel.get().name() + " is in " + channel.get().unit()));
    }
    JsonNode value = r.get("value");
    if (value == null || !value.isNumber() || !Double.isFinite(value.asDouble())) {
      return Optional.of(new Problem("value", "value must be a finite number"));
    }
    Optional<Instant> at = instant(r.get("at"));
    if (at.isEmpty()) return Optional.of(new Problem("at", "at must be an instant such as 2026-12-02T10:00:00.000Z"));
    if (at.get().isBefore(Instant.EPOCH)) return Optional.of(new Problem("at", "at is before 1970-01-01T00:00:00Z"));
    if (at.get().isAfter(receivedAt.plus(settings.maxFuture()))) {
      return Optional.of(new Problem("at", "at is more than " + settings.maxFuture() + " ahead of the node's clock (" + receivedAt + ")"));
    }
    return Optional.empty();
  }

  private Reading parsed(JsonNode r, ChannelCatalog.DeviceChannels channels, Instant receivedAt) {
    Channel channel = channels.named(r.get("channel").asText()).orElseThrow();
    Instant at = instant(r.get("at")).orElseThrow();
    Reading.Quality quality = at.isAfter(receivedAt.plus(settings.futureTolerance())) ? Reading.Quality.FUTURE : Reading.Quality.GOOD;
    // Stored to the microsecond (as both databases keep it), so a reading read back equals the one told to listeners.
    return new Reading(channel.name(), truncated(at), r.get("value").asDouble(), channel.unit(), truncated(receivedAt), quality);
  }

  static Instant truncated(Instant at) {
    return at.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
  }

  private static Optional<Instant> instant(JsonNode at) {
    if (at == null || !at.isTextual()) return Optional.empty();
    try {
      return Optional.of(Instant.parse(at.asText()));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
