package lims.device.telemetry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import lims.kernel.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * The live view of stored readings, for every node: each batch stored on any node is
 * published, grouped by channel, on one cluster-wide topic, and each node's event stream
 * subscribes to it (docs/telemetry.md, Live). Fire and forget: the live view may miss a batch
 * (a node leaving, a full mailbox), storage never does; nothing here waits on the ingest path.
 */
public final class LiveTelemetry implements ReadingsListener {

  /** A device's readings of one stored batch, per channel in the order they came. */
  public record LiveReadings(String deviceId, List<ChannelReadings> channels) implements CborSerializable {}

  public record ChannelReadings(String channel, String unit, List<Point> readings) {}

  /** {@code quality}: the wire name of {@link Reading.Quality}. */
  public record Point(Instant at, double value, String quality) {}

  static final String TOPIC = "lims-live-telemetry";

  private final ActorSystem<?> system;
  private final ActorRef<Topic.Command<LiveReadings>> topic;

  private LiveTelemetry(ActorSystem<?> system, ActorRef<Topic.Command<LiveReadings>> topic) {
    this.system = system;
    this.topic = topic;
  }

  /** This node's end of the topic; one per node. */
  public static LiveTelemetry start(ActorSystem<?> system) {
    return new LiveTelemetry(system, system.systemActorOf(Topic.create(LiveReadings.class, TOPIC), "live-telemetry", Props.empty()));
  }

  @Override
  public void stored(String deviceId, List<Reading> readings) {
    if (readings.isEmpty()) return;
    topic.tell(Topic.publish(group(deviceId, readings)));
  }

  static LiveReadings group(String deviceId, List<Reading> readings) {
    Map<String, ChannelReadings> byChannel = new LinkedHashMap<>();
    for (Reading r : readings) {
      byChannel.computeIfAbsent(r.channel(), c -> new ChannelReadings(c, r.unit(), new ArrayList<>()))
          .readings().add(new Point(r.at(), r.value(), r.quality().wireName()));
    }
    return new LiveReadings(deviceId, List.copyOf(byChannel.values()));
  }

  /** Hands every batch published from now on, by any node, to {@code each} (on an actor's thread: keep it short). */
  public void subscribe(String name, Consumer<LiveReadings> each) {
    system.systemActorOf(Behaviors.<LiveReadings>setup(context -> {
      topic.tell(Topic.subscribe(context.getSelf()));
      return Behaviors.receiveMessage(batch -> {
        each.accept(batch);
        return Behaviors.same();
      });
    }), name, Props.empty());
  }
}
