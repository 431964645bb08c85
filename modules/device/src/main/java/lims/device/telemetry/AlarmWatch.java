package lims.device.telemetry;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import lims.device.Device;
import lims.kernel.CborSerializable;
import lims.kernel.Rejection;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Watches one device's readings for alarms (decision 0060): a sharded actor that keeps no
 * journal, only the last reading and a stale timer per channel. It asks the Device entity to
 * raise or clear an alarm only on a transition ({@link AlarmRules}), and believes what it
 * asked at once, so the next batch is judged against it. What the entity holds is the truth:
 * on start, after its channels are declared again, and after an ask that failed, the watch
 * reads the device's channels and active alarms again, so a restart neither raises twice nor
 * forgets to clear. Stale counts from the watch's start: a device whose adapter never
 * reconnects after a restart is still found silent.
 */
public final class AlarmWatch extends AbstractBehavior<AlarmWatch.Message> {

  public static final EntityTypeKey<Message> TYPE = EntityTypeKey.create(Message.class, "AlarmWatch");

  /** How the watch reaches its device: Devices::ask. */
  @FunctionalInterface
  public interface DeviceAsk {
    CompletionStage<Device.Reply> ask(String deviceId, Function<ActorRef<Device.Reply>, Device.Command> command);
  }

  public sealed interface Message extends CborSerializable permits Wake, Readings, Reload, Loaded, Retry, Applied, Silent {}

  /** Starts the watch if it is not running; nothing otherwise. */
  public record Wake() implements Message {}

  /** A stored batch, summarized per channel. */
  public record Readings(Map<String, ChannelSummary> channels) implements Message {}

  /** Read the device's channels and alarms again (they were declared again, or an ask failed). */
  public record Reload() implements Message {}

  private record Loaded(Device.Reply reply, Throwable failure) implements Message {}

  private record Retry() implements Message {}

  private record Applied(Device.Reply reply, Throwable failure) implements Message {}

  private record Silent(String channel) implements Message {}

  private record Key(String channel, AlarmKind kind) {}

  private static final int STASH = 1000;
  private static final Duration RETRY = Duration.ofSeconds(2);

  private final String deviceId;
  private final DeviceAsk devices;
  private final TypeChannels typeChannels;
  private final TimerScheduler<Message> timers;
  private final StashBuffer<Message> stash;
  private Map<String, Channel> channels = Map.of();
  private final Set<Key> active = new HashSet<>();
  private final Map<String, Reading> last = new HashMap<>();
  private boolean loaded;

  private AlarmWatch(ActorContext<Message> context, String deviceId, DeviceAsk devices, TypeChannels typeChannels,
      TimerScheduler<Message> timers, StashBuffer<Message> stash) {
    super(context);
    this.deviceId = deviceId;
    this.devices = devices;
    this.typeChannels = typeChannels;
    this.timers = timers;
    this.stash = stash;
    load();
  }

  public static Behavior<Message> create(String deviceId, DeviceAsk devices, TypeChannels typeChannels) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(STASH,
        stash -> new AlarmWatch(ctx, deviceId, devices, typeChannels, timers, stash))));
  }

  @Override
  public Receive<Message> createReceive() {
    return newReceiveBuilder()
        .onMessage(Wake.class, m -> this)
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(Reload.class, m -> {
          if (loaded) load();
          return this;
        })
        .onMessage(Retry.class, m -> {
          if (!loaded) load();
          return this;
        })
        .onMessage(Readings.class, this::onReadings)
        .onMessage(Silent.class, this::onSilent)
        .onMessage(Applied.class, this::onApplied)
        .build();
  }

  private void load() {
    loaded = false;
    getContext().pipeToSelf(devices.ask(deviceId, Device.GetTelemetry::new), Loaded::new);
  }

  private Behavior<Message> onLoaded(Loaded m) {
    if (m.reply() instanceof Device.Rejected r && r.rejection().kind() == Rejection.Kind.NOT_FOUND) {
      getContext().getLog().info("alarm watch {}: no such device, stopping", deviceId);
      return Behaviors.stopped();
    }
    if (!(m.reply() instanceof Device.TelemetryReply t)) {
      getContext().getLog().warn("alarm watch {}: could not read the device ({}); trying again", deviceId,
          m.failure() != null ? m.failure().toString() : m.reply());
      timers.startSingleTimer("retry", new Retry(), RETRY);
      return this;
    }
    Map<String, Channel> next = new HashMap<>();
    for (Channel c : typeChannels.effective(t.type().wireName(), t.telemetry())) next.put(c.name(), c);
    channels = Map.copyOf(next);
    active.clear();
    for (Alarm a : t.telemetry().activeAlarms()) active.add(new Key(a.channel(), a.kind()));
    last.keySet().retainAll(channels.keySet());
    for (Channel c : channels.values()) {
      boolean stale = active.contains(new Key(c.name(), AlarmKind.STALE));
      if (!stale && !timers.isTimerActive(c.name())) timers.startSingleTimer(c.name(), new Silent(c.name()), c.staleAfter());
      if (stale) timers.cancel(c.name());
    }
    loaded = true;
    return stash.unstashAll(this);
  }

  private Behavior<Message> onReadings(Readings m) {
    if (!loaded) {
      if (stash.isFull()) getContext().getLog().warn("alarm watch {}: still loading, a batch is not watched", deviceId);
      else stash.stash(m);
      return this;
    }
    m.channels().forEach((name, summary) -> {
      Channel c = channels.get(name);
      if (c == null) return; // refused at ingest; a channel declared away meanwhile
      Reading previous = last.get(name);
      // Nothing newer than what the watch has seen (a batch told again, a backfill of old
      // readings): the present state of the instrument is not in it, so it changes no alarm.
      if (previous != null && !summary.last().at().isAfter(previous.at())) return;
      List<AlarmRules.Transition> transitions = AlarmRules.evaluate(c, activeKinds(name), summary, previous);
      last.put(name, summary.last());
      timers.startSingleTimer(name, new Silent(name), c.staleAfter());
      transitions.forEach(t -> apply(c, t));
    });
    return this;
  }

  private Behavior<Message> onSilent(Silent m) {
    Channel c = channels.get(m.channel());
    if (!loaded || c == null || active.contains(new Key(c.name(), AlarmKind.STALE))) return this;
    double seconds = c.staleAfter().toMillis() / 1000.0;
    Reading previous = last.get(c.name());
    apply(c, new AlarmRules.Raise(AlarmKind.STALE, seconds, seconds, previous != null ? previous.at() : Instant.now()));
    return this;
  }

  private Behavior<Message> onApplied(Applied m) {
    if (m.failure() != null || m.reply() instanceof Device.Rejected) {
      // Whether it was stored is unknown: believe the device again.
      getContext().getLog().warn("alarm watch {}: the device did not confirm an alarm change ({}); reading its alarms again", deviceId,
          m.failure() != null ? m.failure().toString() : m.reply());
      if (loaded) load();
    }
    return this;
  }

  private void apply(Channel c, AlarmRules.Transition t) {
    Key key = new Key(c.name(), t.kind());
    CompletionStage<Device.Reply> asked;
    if (t instanceof AlarmRules.Raise r) {
      active.add(key);
      asked = devices.ask(deviceId, reply -> new Device.RaiseAlarm(c.name(), r.kind(), severity(c, r.kind()), r.value(), r.threshold(),
          r.readingAt(), reply));
    } else {
      AlarmRules.Clear clear = (AlarmRules.Clear) t;
      active.remove(key);
      asked = devices.ask(deviceId, reply -> new Device.ClearAlarm(c.name(), clear.kind(), clear.value(), reply));
    }
    getContext().pipeToSelf(asked, Applied::new);
  }

  /** A silent channel is a warning whatever its severity: its value is unknown, not out of range (decision 0060). */
  static Channel.Severity severity(Channel c, AlarmKind kind) {
    return kind == AlarmKind.STALE ? Channel.Severity.WARNING : c.severity();
  }

  private Set<AlarmKind> activeKinds(String channel) {
    Set<AlarmKind> kinds = EnumSet.noneOf(AlarmKind.class);
    for (Key k : active) if (k.channel().equals(channel)) kinds.add(k.kind());
    return kinds;
  }
}
