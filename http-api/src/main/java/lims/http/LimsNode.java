package lims.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.device.telemetry.LiveTelemetry;
import lims.device.telemetry.ReadingsListener;
import lims.analysis.Analyses;
import lims.reporting.delivery.Deliveries;
import lims.analysis.Pipelines;
import lims.reporting.ReportAssembly;
import lims.reporting.ReportDelivery;
import lims.reporting.Reports;
import lims.reporting.render.RenderSettings;
import lims.kernel.IdempotencyStore;
import lims.scheduling.LabTestActions;
import lims.scheduling.LabTests;
import lims.device.Devices;
import lims.device.telemetry.AlarmWatches;
import lims.telemetry.Telemetry;
import lims.specimen.Specimens;
import lims.workflow.Workflows;
import lims.kernel.PauseFence;
import lims.kernel.Database;
import lims.security.AddressPolicy;
import lims.security.AdminBootstrap;
import lims.security.LoginThrottle;
import lims.security.PasswordHasher;
import lims.security.TokenService;
import lims.security.Users;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running node: a cluster member with its database, its entities and its HTTP API.
 * Start-up order: refuse unsafe configuration and unusable pipelines (NodeConfig has refused
 * the rest), migrate the schema, join the cluster, start the entities, bind HTTP; the first
 * admin is created once the member is Up.
 */
public final class LimsNode {

  private static final Logger log = LoggerFactory.getLogger(LimsNode.class);

  private final ActorSystem<Void> system;
  private final ServerBinding binding;
  private final List<Endpoint> endpoints;
  private final CompletionStage<Optional<String>> adminReady;

  private final LabTests labTests;
  private final Deliveries deliveries;
  private final List<ReadingsListener> readingsListeners;
  private final Telemetry telemetry;

  private LimsNode(ActorSystem<Void> system, ServerBinding binding, List<Endpoint> endpoints, CompletionStage<Optional<String>> adminReady,
      LabTests labTests, Deliveries deliveries, List<ReadingsListener> readingsListeners, Telemetry telemetry) {
    this.system = system;
    this.binding = binding;
    this.endpoints = List.copyOf(endpoints);
    this.adminReady = adminReady;
    this.labTests = labTests;
    this.deliveries = deliveries;
    this.readingsListeners = List.copyOf(readingsListeners);
    this.telemetry = telemetry;
  }

  public static CompletionStage<LimsNode> start(Config config) {
    return start(config, java.util.Map.of());
  }

  /** With more lab-test action kinds than the built-in three (the scheduler benchmark adds a no-op one). */
  public static CompletionStage<LimsNode> start(Config config, java.util.Map<String, LabTestActions.Kind> moreActionKinds) {
    Pipelines pipelines = StartChecks.run(config);
    warnAboutSmallCommonPool();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lims", config);
    try {
      return bootstrap(system, config, pipelines, moreActionKinds);
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  private static void warnAboutSmallCommonPool() {
    if (lims.kernel.CommonPool.tooSmall()) log.warn(lims.kernel.CommonPool.advice());
  }

  private static CompletionStage<LimsNode> bootstrap(ActorSystem<Void> system, Config config, Pipelines pipelines,
      java.util.Map<String, LabTestActions.Kind> moreActionKinds) {
    Database.get(system); // applies the migrations before any entity runs
    joinCluster(system, config.getString("lims.cluster.seed-nodes"));
    PauseFence.get(system); // ticking from the start, and a witness for the other members

    Config security = config.getConfig("lims.security");
    Config http = config.getConfig("lims.http");
    Users users = new Users(system, new PasswordHasher(security.getInt("bcrypt-cost")), http.getDuration("ask-timeout"));
    Devices devices = new Devices(system, Devices.simulatedDriver(config), http.getDuration("ask-timeout"));
    AlarmWatches alarmWatches = new AlarmWatches(system, devices);
    Specimens specimens = new Specimens(system, http.getDuration("ask-timeout"));
    Workflows workflows = new Workflows(system, devices, specimens, http.getDuration("ask-timeout"));
    Analyses analyses = new Analyses(system, specimens, pipelines, http.getDuration("ask-timeout"));
    Deliveries deliveries = Deliveries.start(system, specimens);
    Telemetry telemetry = Telemetry.start(system, devices);
    HttpMetrics metrics = new HttpMetrics();
    Reports reports = new Reports(system, specimens,
        new ReportAssembly(specimens, specimens.clients(), RenderSettings.from(config.getConfig("lims.reports"))),
        ReportDelivery.by(deliveries), metrics.registry());
    LabTests labTests = new LabTests(system, LabTestActions.of(workflows, analyses, config.getDuration("lims.scheduling.action-timeout"), system.address().toString()).with(moreActionKinds), metrics.registry(), http.getDuration("ask-timeout"));
    TokenService tokens = new TokenService(security.getConfig("jwt"), Clock.systemUTC());
    LoginThrottle throttle = LoginThrottle.fromConfig(security.getConfig("login-throttle"), Clock.systemUTC());
    ObjectMapper mapper = Responses.mapper();
    IdempotencyKeys idempotency = new IdempotencyKeys(new IdempotencyStore(Database.get(system)), mapper, security.getString("jwt.secret"),
        Clock.systemUTC());
    idempotency.purgeEvery(system, http.getDuration("idempotency.window"), http.getDuration("idempotency.purge-interval"));
    CoordinatedShutdown.get(system)
        .addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-metrics", () -> {
          metrics.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });

    // Told of every batch of readings once stored (docs/telemetry.md): the alarm watches and the live view on the event stream.
    LiveTelemetry liveTelemetry = LiveTelemetry.start(system);
    List<ReadingsListener> readingsListeners = List.of(alarmWatches, liveTelemetry);
    readingsListeners.forEach(telemetry::listen);

    var classic = Adapter.toClassic(system);
    if (config.getBoolean("lims.management.enabled")) {
      PekkoManagement.get(classic).start();
    }

    List<Endpoint> endpoints = new ArrayList<>();
    endpoints.addAll(new OperationsRoutes(Readiness.get(system), metrics, mapper).endpoints());
    endpoints.addAll(new AuthRoutes(users, tokens, throttle, mapper).endpoints());
    endpoints.addAll(new UserRoutes(users, specimens.clients(), mapper, idempotency).endpoints());
    endpoints.addAll(new DeviceRoutes(devices, mapper, config.getConfig("lims.device"), idempotency).endpoints());
    endpoints.addAll(new AlarmRoutes(devices, alarmWatches, mapper).endpoints());
    endpoints.addAll(new TelemetryRoutes(telemetry, mapper, Materializer.matFromSystem(system)).endpoints());
    endpoints.addAll(new ClientRoutes(specimens.clients(), mapper, idempotency).endpoints());
    endpoints.addAll(new SpecimenRoutes(specimens, analyses.pipelines(), mapper, idempotency).endpoints());
    endpoints.addAll(new AnalysisRoutes(analyses, mapper).endpoints());
    endpoints.addAll(new ReportRoutes(reports, specimens, mapper).endpoints());
    endpoints.addAll(new DeliveryRoutes(deliveries, mapper).endpoints());
    endpoints.addAll(new LabTestRoutes(labTests, mapper, idempotency).endpoints());
    endpoints.addAll(new WorkflowRoutes(workflows, mapper, config.getDuration("lims.device.execute-wait"), idempotency)
        .endpoints());
    endpoints.addAll(EventRoutes.start(system, http.getConfig("events"), tokens, mapper, metrics.registry(), endpoints, liveTelemetry)
        .endpoints());
    endpoints.addAll(new MeRoutes(endpoints, mapper).endpoints()); // reads the others' access: after them
    HttpPipeline pipeline =
        new HttpPipeline(endpoints, AddressPolicy.fromConfig(security), tokens, metrics, mapper, Materializer.matFromSystem(system), http);

    CompletableFuture<Optional<String>> adminReady = new CompletableFuture<>();
    org.apache.pekko.cluster.Cluster.get(classic)
        .registerOnMemberUp(() -> {
          ensureAdmin(system, users, security.getString("admin-password"), adminReady);
          if (config.getBoolean("lims.device.seed-demo-devices")) {
            retry(system, devices::seedDemoDevices).whenComplete((done, failure) -> {
              if (failure != null) log.error("could not register the demo devices", failure);
            });
          }
        });

    return Http.get(system)
        .newServerAt(http.getString("host"), http.getInt("port"))
        .withSettings(serverSettings(system, http))
        .bind(pipeline::handle)
        .thenApply(binding -> {
          // Unbinds in the first shutdown phase, drains in-flight requests, then the member leaves.
          binding.addToCoordinatedShutdown(http.getDuration("shutdown-drain"), system);
          CoordinatedShutdown.get(system)
              .addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "log-http-unbound", () -> {
                log.info("HTTP API unbound and drained; leaving the cluster");
                return CompletableFuture.completedFuture(Done.getInstance());
              });
          log.info("HTTP API listening on {}", binding.localAddress());
          return new LimsNode(system, binding, endpoints, adminReady, labTests, deliveries, readingsListeners, telemetry);
        });
  }

  /**
   * The parser reads bodies up to {@link RequestBody#parserLimit}, so that a refused one can be
   * read to its end before the answer; a request it cannot parse is answered by {@link UnparsableRequests}.
   */
  private static ServerSettings serverSettings(ActorSystem<?> system, Config http) {
    ServerSettings settings = ServerSettings.create(system.settings().config());
    return settings.withParserSettings(settings.getParserSettings().withMaxContentLength(RequestBody.parserLimit(http)))
        .withParsingErrorHandler(UnparsableRequests.class.getName());
  }

  /** Cluster of one when no seed nodes are named; else join the seeds (host:port or full addresses). */
  private static void joinCluster(ActorSystem<Void> system, String seedNodes) {
    Cluster cluster = Cluster.get(system);
    List<Address> seeds =
        Arrays.stream(seedNodes.split(","))
            .map(String::strip)
            .filter(s -> !s.isEmpty())
            .map(s -> s.contains("://") ? AddressFromURIString.parse(s) : hostPort(system.name(), s))
            .toList();
    if (seeds.isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    } else {
      lims.kernel.ClusterPresence.join(system, seeds);
    }
  }

  private static Address hostPort(String systemName, String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("seed node '" + hostPort + "' is not host:port");
    }
    return new Address("pekko", systemName, hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static void ensureAdmin(ActorSystem<Void> system, Users users, String configuredPassword, CompletableFuture<Optional<String>> done) {
    String password = AdminBootstrap.password(configuredPassword);
    retry(system, () -> AdminBootstrap.ensureAdmin(users, password, configuredPassword.isBlank()))
        .whenComplete((result, failure) -> {
          if (failure != null) {
            log.error("could not create the first admin user", failure);
            done.completeExceptionally(failure);
          } else {
            done.complete(result);
          }
        });
  }

  /** Start-up work that needs the cluster: retried while shards settle. */
  private static <T> CompletionStage<T> retry(ActorSystem<Void> system, java.util.concurrent.Callable<CompletionStage<T>> work) {
    return Patterns.retry(work, 10, Duration.ofSeconds(1), system.classicSystem().scheduler(), system.executionContext());
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** The node's lab tests, for in-process callers (the scheduler benchmark). */
  public LabTests labTests() {
    return labTests;
  }

  /** The node's report deliveries, for in-process callers (tests, until reports are rendered and queued by the node itself). */
  public Deliveries deliveries() {
    return deliveries;
  }

  /** Told of every batch of readings this node stores (the alarm watches, the live view): for the ingest, and for tests that feed readings directly. */
  public List<ReadingsListener> readingsListeners() {
    return readingsListeners;
  }

  /** The node's telemetry: listeners register here (alarms, the live event stream) before adapters stream. */
  public Telemetry telemetry() {
    return telemetry;
  }

  /** Every route this node answers. */
  public List<Endpoint> endpoints() {
    return endpoints;
  }

  public int httpPort() {
    return binding.localAddress().getPort();
  }

  /** The URL this node answers on from this machine: loopback when it listens on every interface. */
  public String baseUrl() {
    java.net.InetAddress address = binding.localAddress().getAddress();
    String host = address.isAnyLocalAddress() ? "127.0.0.1"
        : address instanceof java.net.Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
    return "http://" + host + ":" + httpPort();
  }

  /**
   * Completes once the first-start admin check has run (the admin exists from then on), with
   * the password this start generated for it, to be shown once; empty when there is none.
   */
  public CompletionStage<Optional<String>> adminReady() {
    return adminReady;
  }

  /** Runs the coordinated shutdown (HTTP unbinds first, the member leaves, the pool closes). */
  public CompletionStage<Done> stop() {
    return CoordinatedShutdown.get(system)
        .runAll(CoordinatedShutdown.unknownReason())
        .thenCompose(done -> system.getWhenTerminated().thenApply(t -> Done.getInstance()));
  }
}
