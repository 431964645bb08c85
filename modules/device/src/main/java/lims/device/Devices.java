package lims.device;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import lims.kernel.Asked;
import lims.kernel.Database;
import lims.kernel.PauseFence;
import lims.kernel.Failures;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/** The device context's entry point: sharded Device entities, their read tables and queries. */
public final class Devices {

  public static final Pattern DEVICE_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
  /** Path segments of the execution logs that a device id would otherwise share: its own log could never be asked for. */
  private static final java.util.Set<String> RESERVED_IDS = java.util.Set.of("search", "export");

  public static final Pattern WORKFLOW_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final DeviceReadModel readModel;
  private final WaitEstimator estimator;

  public Devices(ActorSystem<?> system, InstrumentDriver driver, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    Database database = Database.get(system);
    this.readModel = new DeviceReadModel(ReadTable.of(system, DeviceProjection.NAME, Device.TAGS));
    this.estimator = new WaitEstimator(system.settings().config().getConfig("lims.device.wait-estimate"));
    // Devices never passivate: they are few and long-lived, and an idle stop in the middle of an
    // operation would drop the driver's result and later report the operation as interrupted.
    PauseFence fence = PauseFence.get(system);
    InstrumentDriver fenced = InstrumentDriver.fenced(driver, fence::clear, fence.holdAtMost());
    sharding.init(Entity.of(Device.TYPE, ctx -> Device.create(ctx.getEntityId(), fenced, ctx.getShard()))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
    Projections.<Device.Event>start(system, DeviceProjection.NAME, Device.TAGS, tag -> new DeviceProjection());
  }

  /** Why {@code id} cannot name a new device, if it cannot (beyond {@link #DEVICE_ID}). */
  public static java.util.Optional<String> reservedIdProblem(String id) {
    return RESERVED_IDS.contains(id)
        ? java.util.Optional.of("'" + id + "' names /execution-logs/" + id + ", so it cannot name a device") : java.util.Optional.empty();
  }

  /** The device an execution id ({@code <device id>.<n>}, such as plate-reader-1.42) belongs to; empty when it is not one. */
  public static java.util.Optional<String> deviceOfExecution(String executionId) {
    int dot = executionId.lastIndexOf('.');
    if (dot < 1 || !DEVICE_ID.matcher(executionId.substring(0, dot)).matches() || !executionId.substring(dot + 1).matches("[0-9]{1,18}")) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(executionId.substring(0, dot));
  }

  public static InstrumentDriver simulatedDriver(Config config) {
    return new SimulatedDriver(config.getConfig("lims.device.simulated-driver"));
  }

  public CompletionStage<Device.Reply> ask(String deviceId, Function<ActorRef<Device.Reply>, Device.Command> command) {
    return ask(deviceId, command, askTimeout);
  }

  public CompletionStage<Device.Reply> ask(String deviceId, Function<ActorRef<Device.Reply>, Device.Command> command, Duration timeout) {
    return Asked.ask(sharding.entityRefFor(Device.TYPE, deviceId), command, timeout);
  }

  /**
   * The execution once it has finished, or empty when it is still running after {@code wait}
   * (the caller answers 202 and the execution ends later on its own).
   */
  public CompletionStage<java.util.Optional<Execution>> awaitExecution(String deviceId, String executionId, Duration wait) {
    return ask(deviceId, r -> new Device.AwaitExecution(executionId, r), wait)
        .thenApply(reply -> {
          if (reply instanceof Device.ExecutionReply e) return java.util.Optional.of(e.execution());
          throw new IllegalStateException("execution " + executionId + " vanished: " + ((Device.Rejected) reply).rejection().detail());
        })
        .exceptionally(failure -> {
          Throwable cause = Failures.cause(failure);
          if (cause instanceof java.util.concurrent.TimeoutException) return java.util.Optional.empty();
          throw new java.util.concurrent.CompletionException(cause);
        });
  }

  public DeviceReadModel readModel() {
    return readModel;
  }

  public WaitEstimator estimator() {
    return estimator;
  }

  /** Registers the demo instruments of the embedded default; already registered ones are left as they are. */
  public CompletionStage<Void> seedDemoDevices() {
    record Demo(String id, String name, DeviceType type, List<String> capabilities) {}
    List<Demo> demo = List.of(
        new Demo("liquid-handler-1", "Liquid handler 1", DeviceType.LIQUID_HANDLER, List.of("96-well", "384-well")),
        new Demo("liquid-handler-2", "Liquid handler 2", DeviceType.LIQUID_HANDLER, List.of("96-well")),
        new Demo("incubator-1", "Incubator 1", DeviceType.INCUBATOR, List.of("co2", "shaking")),
        new Demo("incubator-2", "Incubator 2", DeviceType.INCUBATOR, List.of("co2")),
        new Demo("plate-reader-1", "Plate reader 1", DeviceType.PLATE_READER, List.of("absorbance", "fluorescence")),
        new Demo("plate-reader-2", "Plate reader 2", DeviceType.PLATE_READER, List.of("absorbance")));
    CompletableFuture<?>[] all = demo.stream()
        .map(d -> ask(d.id(), r -> new Device.Register(d.name(), d.type(), d.capabilities(), "system", null, r)).toCompletableFuture())
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(all);
  }
}
