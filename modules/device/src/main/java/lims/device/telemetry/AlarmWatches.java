package lims.device.telemetry;

import com.typesafe.config.Config;
import java.time.Duration;
import lims.device.Devices;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alarm watches of the cluster, one per device ({@link AlarmWatch}), fed by the ingest as a
 * {@link ReadingsListener}: each stored batch is summarized per channel here, on the ingest's
 * thread, and told to the device's watch; nothing waits. Watches never passivate (their
 * timers are the stale detection). With {@code watch-every-device} on, every node wakes the
 * watch of every registered device when it starts and again every {@code wake-interval}, so
 * a silent device is found after a restart or a failover even if no reading ever arrives.
 */
public final class AlarmWatches implements ReadingsListener {

  private static final Logger log = LoggerFactory.getLogger(AlarmWatches.class);
  /** More devices than a lab has; the wake-up reads at most this many ids. */
  private static final int MAX_DEVICES = 100_000;

  private final ClusterSharding sharding;
  private final TypeChannels typeChannels;

  public AlarmWatches(ActorSystem<?> system, Devices devices) {
    this.sharding = ClusterSharding.get(system);
    Config telemetry = system.settings().config().getConfig("lims.telemetry");
    this.typeChannels = TypeChannels.fromConfig(telemetry);
    sharding.init(Entity.of(AlarmWatch.TYPE, ctx -> AlarmWatch.create(ctx.getEntityId(), devices::ask, typeChannels))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
    Config alarms = telemetry.getConfig("alarms");
    if (alarms.getBoolean("watch-every-device")) {
      Duration interval = alarms.getDuration("wake-interval");
      system.scheduler().scheduleWithFixedDelay(Duration.ofSeconds(1), interval, () -> wakeAll(devices), system.executionContext());
    }
  }

  /** The channels of every device type from configuration. */
  public TypeChannels typeChannels() {
    return typeChannels;
  }

  @Override
  public void stored(String deviceId, java.util.List<Reading> readings) {
    if (readings.isEmpty()) return;
    sharding.entityRefFor(AlarmWatch.TYPE, deviceId).tell(new AlarmWatch.Readings(ChannelSummary.of(readings)));
  }

  /** The device's channels were declared again: its watch reads them. */
  public void channelsChanged(String deviceId) {
    sharding.entityRefFor(AlarmWatch.TYPE, deviceId).tell(new AlarmWatch.Reload());
  }

  private void wakeAll(Devices devices) {
    devices.readModel().deviceIds(MAX_DEVICES).whenComplete((ids, failure) -> {
      if (failure != null) log.warn("could not list the devices to wake their alarm watches; trying again later", failure);
      else ids.forEach(id -> sharding.entityRefFor(AlarmWatch.TYPE, id).tell(new AlarmWatch.Wake()));
    });
  }
}
