package lims.bench.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import lims.bench.cluster.Await;
import lims.bench.cluster.LaunchedNode;
import lims.bench.cluster.LocalCluster;
import lims.bench.cluster.PrivatePostgres;

/**
 * One torture run: a private PostgreSQL (fsync on), three nodes launched as {@code ./lims
 * node} launches them, the load, then the steps the settings name, in order, each recorded
 * with its instants so the audit can tell what happened during which fault:
 * <ul>
 *   <li>{@code bookings}: many clients book the same devices at once over the three nodes;
 *   <li>{@code kills}: kill -9 of a node every kill interval, the oldest (singletons, shard
 *       coordinators) and another in turn, each started again a few seconds later;
 *   <li>{@code pause}: SIGSTOP of the node hosting the cron tests until the others removed
 *       it, then SIGCONT: it must stop by itself, acting no more;
 *   <li>{@code postgres}: PostgreSQL stopped for a while, then started;
 *   <li>{@code rolling}: every node stopped (SIGTERM) and started, newest first, oldest last,
 *       waiting for /ready in between.
 * </ul>
 */
final class ChaosRun implements AutoCloseable {

  /** How long a node may take to answer /ready after it was started on a loaded machine. */
  static final Duration READY_BOUND = Duration.ofMinutes(3);
  /** How long the others may take to remove a frozen node, and it to stop once thawed. */
  static final Duration DOWNING_BOUND = Duration.ofMinutes(3);
  static final Duration EXIT_BOUND = Duration.ofSeconds(60);

  /** A fault and its span: from its start until every node it touched answered /ready again (or, failing that, was started again). */
  record Fault(String kind, int node, long start, long end) {}

  /** A node that stopped when the harness had not stopped it (downed by the others), and was started again. */
  record UnexpectedExit(int node, long at, int exitCode) {}

  /** One kill -9, with the shards the node hosted just before it. */
  record Kill(int node, boolean oldest, long killedAt, long startedAgainAt, long readyAt, Map<String, Set<String>> shards) {}

  /** A SIGSTOP: removedAt when the others no longer listed it (0: never); exitedAt when it stopped by itself after SIGCONT (0: never). */
  record Pause(int node, boolean oldest, long pausedAt, long removedAt, long resumedAt, long exitedAt, long readyAgainAt) {}

  record DatabaseStop(long stoppedAt, long startedAt, long allReadyAt) {}

  record Restart(int node, long stoppedAt, int exitCode, long readyAt) {}

  /** The entity types whose shards a kill records: the ones the load writes. */
  static final List<String> ENTITY_TYPES = List.of("Specimen", "Device", "LabTestPartition");

  final ChaosSettings settings;
  final PrivatePostgres database;
  final LocalCluster cluster;
  final Ledger ledger = new Ledger();
  final Receiver receiver = new Receiver();
  final Api api;
  final Load load;
  final List<Fault> faults = new CopyOnWriteArrayList<>();
  final List<Kill> kills = new ArrayList<>();
  final List<Pause> pauses = new ArrayList<>();
  final List<DatabaseStop> databaseStops = new ArrayList<>();
  final List<Restart> restarts = new ArrayList<>();
  final List<UnexpectedExit> unexpectedExits = new CopyOnWriteArrayList<>();
  /** Node processes the harness killed, stopped or expects to stop: any other that ends is an unexpected exit. */
  private final Set<LaunchedNode> ended = java.util.concurrent.ConcurrentHashMap.newKeySet();
  List<Load.Contention> contention = List.of();
  /** What went wrong with the run itself (a node that never came back): each fails the run. */
  final List<String> problems = new CopyOnWriteArrayList<>();
  private final java.io.PrintStream progress;

  private ChaosRun(ChaosSettings settings, PrivatePostgres database, LocalCluster cluster, String adminPassword, java.io.PrintStream progress) {
    this.settings = settings;
    this.database = database;
    this.cluster = cluster;
    this.progress = progress;
    this.api = new Api(cluster, ledger, settings.requestTimeout, adminPassword);
    this.load = new Load(api, ledger, settings, receiver);
  }

  /** Starts PostgreSQL and the three nodes in {@code dir} (their consoles: node-N.log), logs in and prepares the load. */
  static ChaosRun start(ChaosSettings settings, Path dir, Path postgresBinaries, java.io.PrintStream progress) {
    String adminPassword = "chaos-admin-" + UUID.randomUUID();
    PrivatePostgres database = PrivatePostgres.start(postgresBinaries, true);
    LocalCluster cluster = new LocalCluster(dir, database, adminPassword, settings.nodeJavaOptions);
    ChaosRun run = new ChaosRun(settings, database, cluster, adminPassword, progress);
    try {
      run.say("PostgreSQL on port " + database.port() + "; starting three nodes (consoles in " + dir + ")");
      cluster.startAll();
      for (LocalCluster.Node n : cluster.nodes()) cluster.awaitReady(n.number(), READY_BOUND);
      run.api.logIn();
      Thread supervisor = new Thread(run::superviseNodes, "chaos-supervisor");
      supervisor.setDaemon(true);
      supervisor.start();
      run.load.prepare();
      run.say("cluster ready; oldest node " + cluster.oldest().map(String::valueOf).orElse("?"));
      return run;
    } catch (RuntimeException | AssertionError e) {
      run.close();
      throw e;
    }
  }

  /** Runs the steps under the load, then stops the load and waits for the lab tests due by then. */
  void run() {
    if (settings.steps.contains("bookings")) {
      say("contended bookings: " + settings.contendedDevices + " devices x " + settings.contenders + " clients at once");
      contention = load.contend(settings.contendedDevices, settings.contenders);
      checkShardMapping();
    }
    load.start();
    say("load started; warm-up " + settings.warmUp.toSeconds() + " s");
    Await.pause(settings.warmUp);
    for (String step : settings.steps) {
      if (!problems.isEmpty()) break; // a node that did not come back: the next fault would take the majority away
      switch (step) {
        case "bookings" -> { } // before the load, above
        case "kills" -> killRotation();
        case "pause" -> pauseBeyondDowning();
        case "postgres" -> stopPostgres();
        case "rolling" -> rollingRestart();
        default -> throw new IllegalArgumentException("unknown step " + step + ": bookings, kills, pause, postgres, rolling");
      }
    }
    Await.pause(settings.warmUp); // the load runs on a while after the last fault
    say("stopping the load");
    problems.addAll(load.stop());
    awaitDueLabTests();
    // The nodes that run (a last step may leave one stopped): the audit reads through them.
    readyForAudit = cluster.nodes().stream().filter(n -> cluster.process(n.number()).isAlive())
        .allMatch(n -> awaitReady(n.number(), "for the audit") > 0);
  }

  /** Whether every running node answered /ready when the load ended: the audit's API reads need them. */
  boolean readyForAudit;

  // --- steps ------------------------------------------------------------------------------

  /**
   * As a service manager does: a node process that ended without the harness ending it (the
   * others downed it) is recorded and started again, so the next fault finds three nodes.
   */
  private void superviseNodes() {
    while (!closed.get()) {
      for (LocalCluster.Node n : cluster.nodes()) {
        LaunchedNode process = cluster.process(n.number());
        if (process != null && !process.isAlive() && ended.add(process)) {
          unexpectedExits.add(new UnexpectedExit(n.number(), System.currentTimeMillis(), process.exitCode()));
          say("node " + n.number() + " stopped by itself (exit code " + process.exitCode() + ") though no fault was applied to it; starting it again");
          if (!closed.get()) cluster.start(n.number());
        }
      }
      Await.pause(Duration.ofMillis(500));
    }
  }

  /** The node's process, marked as ended by the harness before the harness ends it. */
  private LaunchedNode ending(int node) {
    LaunchedNode process = cluster.process(node);
    ended.add(process);
    return process;
  }

  /** A fault starts only with all three nodes ready, so that a majority stays up through it. */
  private void beforeFault() {
    for (LocalCluster.Node n : cluster.nodes()) awaitReady(n.number(), "before the next fault");
  }

  /**
   * The audit finds the entities a killed node hosted through {@link LocalCluster#shardOf}:
   * the devices just booked must be in shards some node reports, or that mapping is wrong.
   */
  private void checkShardMapping() {
    Set<String> hosted = cluster.nodes().stream().flatMap(n -> cluster.shards(n.number(), "Device").stream()).collect(Collectors.toSet());
    List<String> lost = contention.stream().map(Load.Contention::deviceId).filter(id -> !hosted.contains(LocalCluster.shardOf(id))).toList();
    if (!lost.isEmpty()) problems.add("the harness maps devices " + lost + " to shards no node reports: its shard mapping is wrong");
  }

  /** Kills every kill interval while the rotation lasts; at least one kill, the first of the oldest. */
  void killRotation() {
    long end = System.currentTimeMillis() + settings.duration.toMillis();
    for (int k = 0; ; k++) {
      long started = System.currentTimeMillis();
      Optional<Integer> oldest = cluster.oldest();
      if (oldest.isEmpty()) {
        problems.add("no node answered which member is the oldest before kill " + (k + 1));
        return;
      }
      // The oldest (it hosts the shard coordinators and singletons) and, in turn, the other
      // node that has run longest, so every node is killed in a rotation of three.
      List<Integer> others = new ArrayList<>(cluster.newestFirst());
      others.remove(oldest.get());
      int victim = k % 2 == 0 ? oldest.get() : others.get(others.size() - 1);
      killAndRestart(victim, victim == oldest.get());
      long next = started + settings.killInterval.toMillis();
      if (next >= end || !problems.isEmpty()) return;
      if (System.currentTimeMillis() < next) Await.pause(Duration.ofMillis(next - System.currentTimeMillis()));
    }
  }

  void killAndRestart(int node, boolean oldest) {
    beforeFault();
    Map<String, Set<String>> shards = ENTITY_TYPES.stream().collect(Collectors.toMap(t -> t, t -> cluster.shards(node, t)));
    say("kill -9 node " + node + (oldest ? " (the oldest)" : "") + ", hosting " + shards.get("Specimen").size() + " specimen, "
        + shards.get("Device").size() + " device and " + shards.get("LabTestPartition").size() + " lab-test partition shards");
    long killedAt = System.currentTimeMillis();
    LaunchedNode victim = ending(node);
    interrupted(victim::kill);
    Await.pause(settings.restartAfter);
    cluster.start(node);
    long startedAgainAt = System.currentTimeMillis();
    long readyAt = awaitReady(node, "after kill -9");
    faults.add(new Fault("kill -9", node, killedAt, readyAt > 0 ? readyAt : startedAgainAt));
    kills.add(new Kill(node, oldest, killedAt, startedAgainAt, readyAt, shards));
    say("node " + node + " ready again " + seconds(readyAt - killedAt) + " after the kill");
  }

  void pauseBeyondDowning() {
    beforeFault();
    int oldest = cluster.oldest().orElse(0);
    int node = hostOfMostCronTests();
    LaunchedNode process = cluster.process(node);
    int observer = node % LocalCluster.SIZE + 1;
    say("SIGSTOP node " + node + (node == oldest ? " (the oldest)" : "") + ", which hosts cron tests; waiting until node " + observer + " no longer lists it");
    long pausedAt = System.currentTimeMillis();
    process.pause();
    long removedAt = 0;
    try {
      Await.until(DOWNING_BOUND, () -> "node " + observer + " to remove the frozen node " + node,
          () -> cluster.members(observer).map(m -> !m.containsKey(node)).orElse(false));
      removedAt = System.currentTimeMillis();
      Await.pause(settings.pauseAfterDowning);
    } catch (AssertionError e) {
      problems.add("the frozen node " + node + " was not removed within " + DOWNING_BOUND.toSeconds() + " s");
    }
    ended.add(process); // thawed after its removal, it must stop by itself
    process.resume();
    long resumedAt = System.currentTimeMillis();
    long exitedAt = interrupted(() -> process.awaitExit(EXIT_BOUND)) ? System.currentTimeMillis() : 0;
    if (exitedAt == 0) {
      problems.add("node " + node + ", thawed after it was removed, still ran " + EXIT_BOUND.toSeconds() + " s later (killed)");
      interrupted(process::kill);
    }
    say("node " + node + " thawed" + (exitedAt > 0 ? ", stopped by itself " + seconds(exitedAt - resumedAt) + " later" : ""));
    long readyAt = 0;
    if (!lastStep("pause")) { // a last step leaves it down: two nodes are a majority, and a start costs a loaded machine a minute
      cluster.start(node);
      readyAt = awaitReady(node, "after SIGSTOP");
    }
    faults.add(new Fault("SIGSTOP", node, pausedAt, readyAt > 0 ? readyAt : resumedAt));
    pauses.add(new Pause(node, node == oldest, pausedAt, removedAt, resumedAt, exitedAt, readyAt));
  }

  /** The node whose LabTestPartition region holds the most of the cron tests' shards (ties: the lowest number). */
  private int hostOfMostCronTests() {
    // A test's shard is its partition, of the shipped 64 (decision 0064).
    Set<String> cronShards = load.cronTests().stream().map(id -> labTestPartition(id)).collect(Collectors.toSet());
    return IntStream.rangeClosed(1, LocalCluster.SIZE).boxed()
        .max(Comparator.comparingInt((Integer n) -> (int) cluster.shards(n, "LabTestPartition").stream().filter(cronShards::contains).count())
            .thenComparing(Comparator.reverseOrder()))
        .orElse(1);
  }

  void stopPostgres() {
    beforeFault();
    say("stopping PostgreSQL for " + settings.postgresDown.toSeconds() + " s");
    long stoppedAt = System.currentTimeMillis();
    database.stop();
    Await.pause(settings.postgresDown);
    database.start();
    long startedAt = System.currentTimeMillis();
    long ready = 0;
    for (LocalCluster.Node n : cluster.nodes()) ready = Math.max(ready, awaitReady(n.number(), "after PostgreSQL came back"));
    faults.add(new Fault("PostgreSQL stop", 0, stoppedAt, Math.max(ready, startedAt)));
    databaseStops.add(new DatabaseStop(stoppedAt, startedAt, ready));
    say("PostgreSQL started; every node ready " + seconds(ready - startedAt) + " later");
  }

  void rollingRestart() {
    beforeFault();
    for (int node : cluster.newestFirst()) {
      say("rolling restart: SIGTERM node " + node);
      long stoppedAt = System.currentTimeMillis();
      LaunchedNode stopped = ending(node);
      int exit = interrupted(stopped::stop);
      cluster.start(node);
      long startedAt = System.currentTimeMillis();
      long readyAt = awaitReady(node, "in the rolling restart");
      faults.add(new Fault("rolling restart", node, stoppedAt, readyAt > 0 ? readyAt : startedAt));
      restarts.add(new Restart(node, stoppedAt, exit, readyAt));
      if (!problems.isEmpty()) return;
    }
  }

  private boolean lastStep(String step) {
    return settings.steps.get(settings.steps.size() - 1).equals(step);
  }

  /** When the node answered /ready with 200, or 0 (and a problem) if not within the bound. */
  private long awaitReady(int node, String when) {
    try {
      cluster.awaitReady(node, READY_BOUND);
      return System.currentTimeMillis();
    } catch (AssertionError e) {
      problems.add("node " + node + " did not answer /ready with 200 within " + READY_BOUND.toMinutes() + " minutes " + when);
      return 0;
    }
  }

  /** Until every one-time test acknowledged has had time to fire, plus the retries of a late one. */
  private void awaitDueLabTests() {
    long lastDue = ledger.labTests.stream().mapToLong(Ledger.LabTestOrder::dueAt).max().orElse(0);
    long waitUntil = lastDue + 15_000;
    if (System.currentTimeMillis() < waitUntil) {
      say("waiting " + seconds(waitUntil - System.currentTimeMillis()) + " for the last one-time lab tests to fire");
      Await.pause(Duration.ofMillis(waitUntil - System.currentTimeMillis()));
    }
  }

  // --- plumbing ---------------------------------------------------------------------------

  void say(String line) {
    progress.printf("[chaos %s] %s%n", java.time.LocalTime.now().format(java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss")), line);
  }

  static String seconds(long millis) {
    return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  interface Interruptible<T> {
    T get() throws InterruptedException;
  }

  interface InterruptibleStep {
    void run() throws InterruptedException;
  }

  private static <T> T interrupted(Interruptible<T> step) {
    try {
      return step.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void interrupted(InterruptibleStep step) {
    interrupted(() -> {
      step.run();
      return null;
    });
  }

  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  /** Stops everything the run started; once, whoever calls it first (the run's end or Ctrl-C). */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    api.close();
    receiver.close();
    try {
      cluster.close();
    } finally {
      database.close();
    }
  }

  /**
   * A lab test's partition, as the node computes it with the shipped 64 partitions (decision
   * 0064); computed here, as the harness runs without the scheduling module on its class path.
   */
  static String labTestPartition(String labTestId) {
    return String.valueOf(Math.floorMod(labTestId.hashCode(), 64));
  }
}
