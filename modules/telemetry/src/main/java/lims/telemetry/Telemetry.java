package lims.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import lims.device.Device;
import lims.device.telemetry.TypeChannels;
import lims.device.Devices;
import lims.device.telemetry.ReadingsListener;
import lims.kernel.Database;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry context's entry point (docs/telemetry.md): takes an adapter's batches, checks
 * them against the device's channels, stores each once, acknowledges it, and tells the
 * {@link ReadingsListener}s; answers history queries; keeps retention.
 */
public final class Telemetry {

  private static final Logger log = LoggerFactory.getLogger(Telemetry.class);

  /**
   * The node's answer to one batch message: {@code ack} once it is stored (also when it was
   * stored before: a resent batch); {@code refused}, each reading not stored (or the whole
   * message, index -1, and then no ack).
   */
  public record Answer(Optional<Long> ack, List<ReadingRefused> refused) {}

  private final TelemetrySettings settings;
  private final ChannelCatalog catalog;
  private final BatchCheck check;
  private final TelemetryStore store;
  private final WriteSlots writes;
  private final TelemetryQuery query;
  private final TelemetryRetention retention;
  private final Clock clock;
  private final List<ReadingsListener> listeners = new CopyOnWriteArrayList<>();

  Telemetry(Database database, ChannelCatalog catalog, TelemetrySettings settings, Clock clock) {
    this.settings = settings;
    this.catalog = catalog;
    this.check = new BatchCheck(new ObjectMapper(), settings);
    this.store = new TelemetryStore(database, settings);
    this.writes = new WriteSlots(settings.maxConcurrentWrites());
    this.query = new TelemetryQuery(database, settings);
    this.retention = new TelemetryRetention(database, settings);
    this.clock = clock;
  }

  /**
   * The node's telemetry: today's partitions exist before it returns (bounded by the ask
   * time-out; a failure is logged and retried by the first retention run), and retention runs
   * every {@code retention.interval}.
   */
  public static Telemetry start(ActorSystem<?> system, Devices devices) {
    com.typesafe.config.Config config = system.settings().config().getConfig("lims.telemetry");
    TelemetrySettings settings = TelemetrySettings.from(config);
    ChannelCatalog catalog = new ChannelCatalog(TypeChannels.fromConfig(config), id -> devices.ask(id, Device.GetTelemetry::new)
        .thenApply(reply -> reply instanceof Device.TelemetryReply t ? Optional.of(t) : Optional.<Device.TelemetryReply>empty()),
        settings.channelCache());
    Telemetry telemetry = new Telemetry(Database.get(system), catalog, settings, Clock.systemUTC());
    try {
      telemetry.retention.ensurePartitions().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("could not create today's telemetry partitions at start; the retention run will try again", e);
    }
    Duration interval = settings.upkeepInterval();
    system.scheduler().scheduleWithFixedDelay(interval, interval, () -> telemetry.retention.run().whenComplete((removed, failure) -> {
      if (failure != null) log.warn("telemetry retention run failed; the next run tries again", failure);
    }), system.executionContext());
    return telemetry;
  }

  /** Told of every batch stored from now on (register at start, before adapters stream). */
  public void listen(ReadingsListener listener) {
    listeners.add(listener);
  }

  public TelemetrySettings settings() {
    return settings;
  }

  /** The channels of a device; empty when there is no such device. */
  public CompletionStage<Optional<ChannelCatalog.DeviceChannels>> channels(String deviceId) {
    return catalog.of(deviceId);
  }

  /** What a message over the size limit gets, when it is refused before it is even read whole. */
  public Answer tooLarge() {
    return new Answer(Optional.empty(), List.of(check.tooLargeRefusal()));
  }

  /** One batch message (a WebSocket text message, an NDJSON line) from an adapter of {@code deviceId}. */
  public CompletionStage<Answer> accept(String deviceId, String message) {
    Instant receivedAt = clock.instant();
    return catalog.of(deviceId)
        .thenCompose(channels -> channels.isPresent() ? storeChecked(deviceId, check.check(message, channels.get(), receivedAt), receivedAt)
            : CompletableFuture.completedFuture(new Answer(Optional.empty(), List.of(ReadingRefused.whole(null, null, "no device " + deviceId)))))
        .exceptionally(failure -> {
          // The Device entity did not say its channels in time: nothing stored, and the adapter sends the batch again.
          log.warn("a batch of {} was not read: {}", deviceId, lims.kernel.Failures.cause(failure).toString());
          return new Answer(Optional.empty(), List.of(ReadingRefused.notNow(null, "not stored: the device did not answer; send the batch again")));
        });
  }

  private CompletionStage<Answer> storeChecked(String deviceId, BatchCheck.Checked checked, Instant receivedAt) {
    if (checked instanceof BatchCheck.Refused refused) return CompletableFuture.completedFuture(new Answer(Optional.empty(), List.of(refused.why())));
    BatchCheck.Batch batch = (BatchCheck.Batch) checked;
    return writes.run(() -> store.store(deviceId, batch.seq(), batch.readings(), receivedAt)).handle((storedNow, failure) -> {
      if (failure != null) {
        // Not acknowledged: the adapter keeps the batch and sends it again; if it was committed after all, that gets an ack.
        log.warn("batch {} of {} not stored: {}", batch.seq(), deviceId, lims.kernel.Failures.cause(failure).toString());
        return new Answer(Optional.empty(), List.of(ReadingRefused.notNow(batch.seq(), "not stored: the database did not answer; send the batch again")));
      }
      // A repeat is told again: its first store may have committed after the adapter was told to
      // send it again (the call's time-out), and then no listener heard it. Listeners take repeats.
      if (!batch.readings().isEmpty()) tell(deviceId, batch);
      return new Answer(Optional.of(batch.seq()), batch.refused());
    });
  }

  /** Several batch messages, one after the other (an NDJSON body): each stored before the next is read. */
  public CompletionStage<List<Answer>> acceptAll(String deviceId, List<String> messages) {
    CompletionStage<List<Answer>> answers = CompletableFuture.completedFuture(new ArrayList<>());
    for (String message : messages) {
      answers = answers.thenCompose(so -> accept(deviceId, message).thenApply(a -> {
        so.add(a);
        return so;
      }));
    }
    return answers;
  }

  private void tell(String deviceId, BatchCheck.Batch batch) {
    for (ReadingsListener listener : listeners) {
      try {
        listener.stored(deviceId, batch.readings());
      } catch (RuntimeException e) {
        // A listener's fault must not undo an acknowledgement: the readings are stored.
        log.error("telemetry listener {} failed on a batch of {}", listener.getClass().getName(), deviceId, e);
      }
    }
  }

  /** A history query's time range: {@code to} defaults to now, {@code from} to an hour before it. */
  public record Range(Instant from, Instant to) {}

  private static final Duration DEFAULT_RANGE = Duration.ofHours(1);

  public Range range(Optional<Instant> from, Optional<Instant> to) {
    Instant end = to.orElseGet(clock::instant);
    return new Range(from.orElse(end.minus(DEFAULT_RANGE)), end);
  }

  /** Up to {@code limit} readings of a channel in [from, to), oldest first. */
  public CompletionStage<List<TelemetryQuery.Point>> readings(String deviceId, String channel, Instant from, Instant to, int limit) {
    return query.raw(deviceId, channel, from, to, limit);
  }

  /** Per {@code step} from {@link TelemetryQuery#alignedFrom}, the channel's min/avg/max/count. */
  public CompletionStage<List<TelemetryQuery.Bucket>> buckets(String deviceId, String channel, Instant from, Instant to, Duration step) {
    return query.buckets(deviceId, channel, TelemetryQuery.alignedFrom(from, step), to, step);
  }

  /** One retention run now (the node runs it every {@code retention.interval}). */
  public CompletionStage<TelemetryRetention.Removed> runRetention() {
    return retention.run();
  }
}
