package lims.bench.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Phaser;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import lims.bench.cluster.Await;
import lims.bench.cluster.LocalCluster;

/**
 * The mixed load, each kind started at its own steady rate whatever the answers (a slow
 * cluster gets more requests in flight, not fewer): specimens registered and moved twice,
 * device booking cycles (book, release), one-time lab tests due a few seconds ahead, and a few
 * cron tests created at the start and deleted at the end. Every lab test's action calls the
 * {@link Receiver}.
 */
final class Load {

  private final Api api;
  private final Ledger ledger;
  private final ChaosSettings settings;
  private final Receiver receiver;
  /** Marks this run's names, so a rerun on a kept database is not confused with it. */
  final String run = UUID.randomUUID().toString().substring(0, 8);
  private final BlockingQueue<String> freeDevices = new LinkedBlockingQueue<>();
  private final List<String> cronTests = new ArrayList<>();
  private final ScheduledExecutorService pacer = Executors.newScheduledThreadPool(1, Api.daemon("chaos-pacer"));
  private final ExecutorService flows = Executors.newCachedThreadPool(Api.daemon("chaos-flow"));
  private final Phaser inFlight = new Phaser(1);
  private final AtomicLong sequence = new AtomicLong();
  /** Booking cycles not started because every device was busy, or left out after an unsettled release. */
  final AtomicLong cyclesWithoutDevice = new AtomicLong();
  final Map<String, String> devicesLeftBooked = new ConcurrentHashMap<>();
  long startedAt;
  long stoppedAt;

  Load(Api api, Ledger ledger, ChaosSettings settings, Receiver receiver) {
    this.api = api;
    this.ledger = ledger;
    this.settings = settings;
    this.receiver = receiver;
  }

  /** Registers the devices the booking cycles use. */
  void prepare() {
    for (int i = 0; i < settings.devices; i++) {
      String id = "chaos-" + run + "-" + i;
      register(id);
      freeDevices.add(id);
    }
  }

  private void register(String deviceId) {
    Await.until(Duration.ofMinutes(1), () -> "device " + deviceId + " registered", () ->
        api.send("POST", "/api/v1/devices", "POST /devices", Map.of("id", deviceId, "name", "Chaos " + deviceId, "type", "plate_reader"),
            null, "Device|" + deviceId).status() == 201);
  }

  void start() {
    startedAt = System.currentTimeMillis();
    for (int i = 0; i < settings.cronTests; i++) cronTests.add(createCronTest(i));
    every(settings.specimensPerSecond, this::specimen);
    every(settings.bookingsPerSecond, this::bookingCycle);
    every(settings.labTestsPerSecond, this::oneTimeLabTest);
  }

  private void every(double perSecond, Runnable flow) {
    if (perSecond <= 0) return;
    pacer.scheduleAtFixedRate(() -> {
      inFlight.register();
      flows.execute(() -> {
        try {
          flow.run();
        } finally {
          inFlight.arriveAndDeregister();
        }
      });
    }, 0, Math.round(1_000_000 / perSecond), TimeUnit.MICROSECONDS);
  }

  /**
   * Stops starting flows, lets those under way finish, and deletes the cron tests, each within
   * a bound; returns what did not happen in time (the run reports it and goes on to the audit).
   */
  List<String> stop() {
    List<String> problems = new ArrayList<>();
    pacer.shutdownNow();
    try {
      inFlight.awaitAdvanceInterruptibly(inFlight.arrive(), 3, TimeUnit.MINUTES);
    } catch (TimeoutException | InterruptedException e) {
      problems.add("load flows still under way 3 minutes after the load stopped");
    }
    stoppedAt = System.currentTimeMillis();
    for (String id : cronTests) {
      ledger.cronEnds.add(new Ledger.CronEnd(id, System.currentTimeMillis()));
      try {
        Await.until(Duration.ofMinutes(1), () -> "cron test " + id + " deleted", () ->
            api.send("DELETE", "/api/v1/lab-tests/" + id, "DELETE /lab-tests/{id}", null, null, "LabTestPartition|" + ChaosRun.labTestPartition(id)).status() == 200);
      } catch (AssertionError e) {
        problems.add("cron test " + id + " could not be deleted within a minute after the load stopped");
      }
    }
    flows.shutdown();
    return problems;
  }

  // --- flows ------------------------------------------------------------------------------

  private void specimen() {
    String ref = "chaos " + run + " " + sequence.incrementAndGet();
    Api.Reply registered = api.create("/api/v1/specimens", "POST /specimens",
        Map.of("client_ref", ref, "type", "serum", "tests_requested", List.of("crp")), UUID.randomUUID().toString(), "Specimen",
        settings.createAttempts);
    String id = registered.ok() ? registered.json().get("id").asText() : null;
    ledger.registrations.add(new Ledger.Registration(ref, id));
    if (id == null) return;
    for (String action : List.of("assign_barcode", "receive")) {
      Api.Reply moved = api.send("POST", "/api/v1/specimens/" + id + "/transitions", "POST /specimens/{id}/transitions",
          Map.of("action", action, "data", Map.of()), null, "Specimen|" + id);
      if (!moved.ok()) return;
      ledger.transitions.add(new Ledger.Transition(id, action));
    }
  }

  private void bookingCycle() {
    String device = freeDevices.poll();
    if (device == null) {
      cyclesWithoutDevice.incrementAndGet();
      return;
    }
    String workflow = "wf-" + run + "-" + sequence.incrementAndGet();
    Api.Reply booked = api.send("POST", "/api/v1/devices/" + device + "/book", "POST /devices/{id}/book", Map.of("workflow_id", workflow),
        null, "Device|" + device);
    if (booked.ok()) ledger.deviceCommands.add(new Ledger.DeviceCommand(device, workflow, false));
    // Booked, or perhaps booked (no answer): released until the answer is certain. Held by
    // another of this run's workflows (409): a booking that failed earlier was applied after
    // its release was refused (it waited for its shard's new home), so that one is released.
    String holder = booked.status() == 409 && booked.json() != null ? booked.json().path("holder").asText("") : "";
    String toRelease = booked.ok() || booked.failed() ? workflow : holder.startsWith("wf-" + run + "-") ? holder : null;
    if (toRelease != null && !release(device, toRelease)) {
      devicesLeftBooked.put(device, toRelease);
      return;
    }
    freeDevices.add(device);
  }

  /** True once the device is certainly not held by the workflow: released now, or refused (403: not its holder). */
  private boolean release(String device, String workflow) {
    for (int attempt = 0; attempt < 10; attempt++) {
      Api.Reply released = api.send("POST", "/api/v1/devices/" + device + "/release", "POST /devices/{id}/release",
          Map.of("workflow_id", workflow), null, "Device|" + device);
      if (released.ok()) {
        ledger.deviceCommands.add(new Ledger.DeviceCommand(device, workflow, true));
        return true;
      }
      if (released.status() == 403) return true;
      Await.pause(Duration.ofSeconds(2)); // the client's back-off before it asks again
    }
    return false;
  }

  private void oneTimeLabTest() {
    String title = "chaos " + run + " once " + sequence.incrementAndGet();
    long due = System.currentTimeMillis() + settings.labTestLead.toMillis();
    Api.Reply created = api.create("/api/v1/lab-tests", "POST /lab-tests", Map.of("title", title, "type", "chaos",
        "schedule", Map.of("at", Instant.ofEpochMilli(due).toString()), "action", action(), "max_retries", 3),
        UUID.randomUUID().toString(), "LabTest", settings.createAttempts);
    ledger.labTests.add(new Ledger.LabTestOrder(title, created.ok() ? created.json().get("id").asText() : null, due, System.currentTimeMillis()));
  }

  private String createCronTest(int i) {
    String title = "chaos " + run + " cron " + i;
    String key = UUID.randomUUID().toString();
    Api.Reply[] created = new Api.Reply[1];
    Await.until(Duration.ofMinutes(1), () -> "cron test " + title + " created: " + created[0], () -> {
      created[0] = api.create("/api/v1/lab-tests", "POST /lab-tests", Map.of("title", title, "type", "chaos",
          "schedule", Map.of("cron", settings.cron, "timezone", "UTC"), "action", action(), "max_retries", 3,
          "misfire_policy", settings.cronMisfirePolicy), key, "LabTest", 1);
      if (created[0].status() == 400) throw new IllegalStateException("the cron test was refused: " + created[0].json());
      return created[0].ok();
    });
    String id = created[0].json().get("id").asText();
    ledger.labTests.add(new Ledger.LabTestOrder(title, id, 0, System.currentTimeMillis()));
    return id;
  }

  private Map<String, Object> action() {
    return Map.of("kind", "http", "url", receiver.url(), "timeout_ms", 5000);
  }

  List<String> cronTests() {
    return List.copyOf(cronTests);
  }

  // --- many clients booking the same devices at once --------------------------------------

  /** How the contenders for one device fared: 200s, 409s, and anything else. */
  record Contention(String deviceId, int granted, int refused, int other) {}

  /**
   * Registers {@code devices} devices, then sends {@code contenders} bookings of each, all at
   * once, spread over the three nodes; the one granted booking of each is released after.
   */
  List<Contention> contend(int devices, int contenders) {
    List<String> ids = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      String id = "race-" + run + "-" + d;
      register(id);
      ids.add(id);
    }
    CountDownLatch gate = new CountDownLatch(1);
    Map<String, List<Api.Reply>> replies = new ConcurrentHashMap<>();
    Map<String, String> holders = new ConcurrentHashMap<>();
    List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
    ExecutorService clients = Executors.newFixedThreadPool(devices * contenders, Api.daemon("chaos-contender"));
    for (String id : ids) {
      for (int c = 0; c < contenders; c++) {
        int node = c % LocalCluster.SIZE + 1;
        String workflow = "race-wf-" + run + "-" + id + "-" + c;
        sent.add(clients.submit(() -> {
          gate.await();
          Api.Reply reply = api.sendTo(node, "POST", "/api/v1/devices/" + id + "/book", "POST /devices/{id}/book (contended)",
              Map.of("workflow_id", workflow), null, "Device|" + id);
          replies.computeIfAbsent(id, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(reply);
          if (reply.ok()) {
            holders.put(id, workflow);
            ledger.deviceCommands.add(new Ledger.DeviceCommand(id, workflow, false));
          }
          return null;
        }));
      }
    }
    gate.countDown();
    for (var f : sent) {
      try {
        f.get(2, TimeUnit.MINUTES);
      } catch (Exception e) {
        throw new IllegalStateException("a contended booking did not end within 2 minutes", e);
      }
    }
    clients.shutdown();
    holders.forEach(this::release);
    return ids.stream().map(id -> {
      List<Api.Reply> r = replies.getOrDefault(id, List.of());
      int granted = (int) r.stream().filter(Api.Reply::ok).count();
      int refused = (int) r.stream().filter(x -> x.status() == 409).count();
      return new Contention(id, granted, refused, r.size() - granted - refused);
    }).toList();
  }
}
