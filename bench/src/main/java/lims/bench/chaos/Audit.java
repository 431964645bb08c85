package lims.bench.chaos;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import lims.bench.cluster.LocalCluster;

/**
 * What a run left behind, checked against what the clients were told: every acknowledged
 * command in the journal exactly once (read in the database, not through the product), and
 * the specimens and lab tests answering through the API; no device granted twice; each lab
 * test's execution called once per due instant at the receiver and started once in the
 * journal; no 500 anywhere. Then the figures: write gaps and failures over time, how long
 * after each fault writes came back, and how late lab tests fired during faults.
 */
final class Audit {

  /** A check; a failed one makes {@code ./lims chaos} exit with 1 and the acceptance test fail. */
  record Check(String name, boolean passed, String detail) {}

  /** One kill's recovery, as the report's kill table shows it (ms; -1: no such write). */
  /** How long after a restarted node is ready its shards may still be moving back to it. */
  static final long HAND_OVER_WINDOW_MS = 10_000;
  /** The share of writes that may fail during a rolling restart's window (docs/operations.md). */
  static final int RESTART_FAILURES_PERCENT = 2;
  static final int RESTART_FAILURES_AT_LEAST = 3;

  record KillRecovery(ChaosRun.Kill kill, long firstWrite, long firstAnswerFromItsEntities, long firstWriteToItsEntities) {}

  /** Due instants within this long after a fault ended count as due during it. */
  static final long FAULT_TAIL_MS = 30_000;
  /**
   * The least bound on a lab-test call's lateness: a crashed node's entities answer within
   * resumeBoundMs (20 s), a shard caught moving by its node's death gets a new home at the 20 s
   * hand-off time-out (decision 0066); the rest is margin for a loaded machine. Pekko's 60 s
   * time-out made calls 58 s late. Due during a PostgreSQL stop, more ({@link #latenessBound}).
   */
  static final long LATENESS_BOUND_MS = 45_000;
  static final long WINDOW_MS = 20_000;

  final List<Check> checks = new ArrayList<>();
  final List<String[]> figures = new ArrayList<>();
  final List<KillRecovery> killRecoveries = new ArrayList<>();
  final List<String[]> windows = new ArrayList<>();
  /** Bound for writes to come back after a kill or after PostgreSQL's start. */
  final long resumeBoundMs;

  private final ChaosRun run;
  private final Ledger ledger;
  private final List<Ledger.Attempt> writes;

  private Audit(ChaosRun run, long resumeBoundMs) {
    this.run = run;
    this.ledger = run.ledger;
    this.resumeBoundMs = resumeBoundMs;
    this.writes = ledger.writes();
  }

  static Audit of(ChaosRun run, long resumeBoundMs) throws SQLException {
    Audit audit = new Audit(run, resumeBoundMs);
    Journal journal = new Journal(run.database.url(), run.database.user());
    audit.specimens(journal.events("Specimen"));
    audit.devices(journal.events("Device"));
    audit.labTests(journal.labTestEvents());
    audit.errors();
    audit.availability();
    audit.checks.add(new Check("no node stopped unless the harness stopped it (or froze it past its removal)", run.unexpectedExits.isEmpty(),
        run.unexpectedExits.isEmpty() ? "none" : run.unexpectedExits.stream().map(x -> "node " + x.node() + " at " + audit.clock(x.at()) + " (exit code "
            + x.exitCode() + ")" + audit.duringWhat(x.at(), x.at())).collect(Collectors.joining("; ")) + "; each was started again"));
    run.problems.forEach(p -> audit.checks.add(new Check("the run itself", false, p)));
    return audit;
  }

  List<Check> failures() {
    return checks.stream().filter(c -> !c.passed()).toList();
  }

  // --- exactly once -----------------------------------------------------------------------

  private void specimens(List<Journal.Event> events) {
    Map<String, List<String>> idsByRef = new HashMap<>();
    Map<String, Integer> transitions = new HashMap<>();
    for (Journal.Event e : events) {
      if (e.type().equals("SpecimenRegistered")) {
        idsByRef.computeIfAbsent(e.body().path("registration").path("clientRef").asText(), r -> new ArrayList<>()).add(e.entityId());
      } else if (e.type().equals("SpecimenTransitioned")) {
        transitions.merge(e.entityId() + " " + e.body().path("action").asText(), 1, Integer::sum);
      }
    }
    List<Ledger.Registration> registrations = List.copyOf(ledger.registrations);
    List<String> acked = registrations.stream().filter(r -> r.specimenId() != null).map(Ledger.Registration::specimenId).toList();
    long missing = registrations.stream().filter(r -> r.specimenId() != null && !idsByRef.getOrDefault(r.clientRef(), List.of()).contains(r.specimenId())).count();
    long twice = registrations.stream().filter(r -> idsByRef.getOrDefault(r.clientRef(), List.of()).size() > 1).count();
    exactlyOnce("specimen registrations", acked.size(), missing, twice, registrations.size() - acked.size());
    answers("specimens acknowledged answer GET /specimens/{id}", acked, id -> run.api.send("GET", "/api/v1/specimens/" + id, "GET /specimens/{id}",
        null, null, null).status() == 200);

    List<Ledger.Transition> moved = List.copyOf(ledger.transitions);
    long movedMissing = moved.stream().filter(t -> transitions.getOrDefault(t.specimenId() + " " + t.action(), 0) == 0).count();
    long movedTwice = moved.stream().filter(t -> transitions.getOrDefault(t.specimenId() + " " + t.action(), 0) > 1).count();
    exactlyOnce("specimen transitions", moved.size(), movedMissing, movedTwice, -1);
  }

  private void devices(List<Journal.Event> events) {
    Map<String, Integer> granted = new HashMap<>();
    Map<String, Integer> released = new HashMap<>();
    Map<String, Integer> grantsPerDevice = new HashMap<>();
    List<String> doubleBookings = new ArrayList<>();
    Map<String, String> holder = new HashMap<>();
    for (Journal.Event e : events) {
      if (e.type().equals("BookingGranted")) {
        String workflow = e.body().path("booking").path("workflowId").asText();
        String held = holder.put(e.entityId(), workflow);
        if (held != null) doubleBookings.add(e.entityId() + " granted to " + workflow + " while " + held + " held it");
        granted.merge(e.entityId() + " " + workflow, 1, Integer::sum);
        grantsPerDevice.merge(e.entityId(), 1, Integer::sum);
      } else if (e.type().equals("BookingReleased")) {
        String workflow = e.body().path("workflowId").asText();
        if (workflow.equals(holder.get(e.entityId()))) holder.remove(e.entityId());
        released.merge(e.entityId() + " " + workflow, 1, Integer::sum);
      }
    }
    checks.add(new Check("no device granted to a second workflow while held (journal replayed)", doubleBookings.isEmpty(),
        doubleBookings.isEmpty() ? grantsPerDevice.values().stream().mapToInt(Integer::intValue).sum() + " grants, none while held"
            : doubleBookings.size() + ": " + first(doubleBookings)));
    List<Ledger.DeviceCommand> commands = List.copyOf(ledger.deviceCommands);
    for (boolean release : List.of(false, true)) {
      Map<String, Integer> journal = release ? released : granted;
      List<Ledger.DeviceCommand> acked = commands.stream().filter(c -> c.release() == release).toList();
      long missing = acked.stream().filter(c -> journal.getOrDefault(c.deviceId() + " " + c.workflowId(), 0) == 0).count();
      long twice = acked.stream().filter(c -> journal.getOrDefault(c.deviceId() + " " + c.workflowId(), 0) > 1).count();
      exactlyOnce(release ? "device releases" : "device bookings", acked.size(), missing, twice, -1);
    }
    if (!run.contention.isEmpty()) {
      List<String> wrong = run.contention.stream().filter(c -> c.granted() != 1 || grantsPerDevice.getOrDefault(c.deviceId(), 0) != 1)
          .map(c -> c.deviceId() + ": " + c.granted() + " × 200, " + c.refused() + " × 409, " + c.other() + " other; "
              + grantsPerDevice.getOrDefault(c.deviceId(), 0) + " grants in the journal").toList();
      int contenders = run.contention.stream().mapToInt(c -> c.granted() + c.refused() + c.other()).sum();
      checks.add(new Check("contended bookings: exactly one 200 per device, and one grant in the journal", wrong.isEmpty(),
          run.contention.size() + " devices, " + contenders + " concurrent bookings over 3 nodes" + (wrong.isEmpty() ? "" : "; wrong: " + first(wrong))));
    }
    if (!run.load.devicesLeftBooked.isEmpty()) {
      figures.add(new String[] {"devices left booked (release never answered)", String.valueOf(run.load.devicesLeftBooked.size())});
    }
  }

  private void labTests(List<Journal.Event> events) {
    Map<String, List<String>> idsByTitle = new HashMap<>();
    Map<String, Long> firstFire = new HashMap<>();
    Map<String, Long> createdAt = new HashMap<>();
    Map<String, Integer> starts = new HashMap<>();
    Set<String> succeeded = new java.util.HashSet<>();
    for (Journal.Event e : events) {
      switch (e.type()) {
        case "LabTestCreated" -> {
          idsByTitle.computeIfAbsent(e.body().path("definition").path("title").asText(), t -> new ArrayList<>()).add(e.entityId());
          firstFire.put(e.entityId(), Journal.millis(e.body().path("nextFireAt")));
          createdAt.put(e.entityId(), Journal.millis(e.body().path("at")));
        }
        case "ExecutionStarted" -> starts.merge(e.body().path("executionId").asText() + " attempt " + e.body().path("attempt").asInt(), 1, Integer::sum);
        case "ExecutionSucceeded" -> succeeded.add(e.body().path("executionId").asText());
        default -> { }
      }
    }
    List<Ledger.LabTestOrder> orders = List.copyOf(ledger.labTests);
    long acked = orders.stream().filter(Ledger.LabTestOrder::acked).count();
    long missing = orders.stream().filter(o -> o.acked() && !idsByTitle.getOrDefault(o.title(), List.of()).contains(o.id())).count();
    long twice = orders.stream().filter(o -> idsByTitle.getOrDefault(o.title(), List.of()).size() > 1).count();
    exactlyOnce("lab-test creations", acked, missing, twice, orders.size() - acked);
    // The cron tests are deleted at the end of the load: only the one-time tests are asked for.
    answers("one-time lab tests acknowledged answer GET /lab-tests/{id}", orders.stream().filter(o -> o.acked() && o.dueAt() > 0).map(Ledger.LabTestOrder::id).toList(),
        id -> run.api.send("GET", "/api/v1/lab-tests/" + id, "GET /lab-tests/{id}", null, null, null).status() == 200);

    Map<String, List<Receiver.Call>> calls = run.receiver.byExecution();
    // Every one-time test the journal holds, acknowledged or not, is due once at its instant.
    List<String> oneTime = orders.stream().filter(o -> o.dueAt() > 0).flatMap(o -> idsByTitle.getOrDefault(o.title(), List.of()).stream()).distinct().toList();
    List<String> oneTimeExecutions = oneTime.stream().map(id -> id + "-" + firstFire.get(id)).toList();
    List<String> notCalled = oneTimeExecutions.stream().filter(x -> !calls.containsKey(x)).toList();
    List<String> notSucceeded = oneTimeExecutions.stream().filter(x -> !succeeded.contains(x)).toList();
    checks.add(new Check("every one-time lab test fired (receiver) and succeeded (journal)", notCalled.isEmpty() && notSucceeded.isEmpty(),
        oneTimeExecutions.size() + " due; not called " + notCalled.size() + ", no ExecutionSucceeded " + notSucceeded.size()
            + (notCalled.isEmpty() ? "" : ": " + first(notCalled))));

    List<String> cronExecutions = new ArrayList<>();
    for (Ledger.LabTestOrder cron : orders.stream().filter(o -> o.dueAt() == 0 && o.acked()).toList()) {
      long end = ledger.cronEnds.stream().filter(c -> c.id().equals(cron.id())).mapToLong(Ledger.CronEnd::sentAt).findFirst().orElse(run.load.stoppedAt);
      for (long due : cronInstants(run.settings.cron, cron.ackedAt(), end)) cronExecutions.add(cron.id() + "-" + due);
    }
    List<String> cronMissed = cronExecutions.stream().filter(x -> !calls.containsKey(x)).toList();
    boolean fireAll = run.settings.cronMisfirePolicy.equals("fire_all");
    checks.add(new Check("cron instants fired (" + run.settings.cronMisfirePolicy + (fireAll ? ": none may be missed)" : ": missed ones are counted, not failed)"),
        !fireAll || cronMissed.isEmpty(), cronExecutions.size() + " instants due while the tests existed; not called " + cronMissed.size()
            + (cronMissed.isEmpty() ? "" : ": " + first(cronMissed))));

    // A call is made again only when the node that made it died before its outcome was journaled
    // (decision 0043): at-least-once across a crash, with the same Idempotency-Key.
    List<String> calledTwice = new ArrayList<>();
    int madeAgainAfterACrash = 0;
    for (Map.Entry<String, List<Receiver.Call>> c : calls.entrySet()) {
      Map<Integer, List<Receiver.Call>> byAttempt = c.getValue().stream().collect(Collectors.groupingBy(Receiver.Call::attempt));
      for (List<Receiver.Call> same : byAttempt.values()) {
        for (int i = 1; i < same.size(); i++) {
          if (callerDiedBetween(same.get(i - 1), same.get(i))) {
            madeAgainAfterACrash++;
          } else {
            calledTwice.add(c.getKey() + " attempt " + same.get(i).attempt() + " ×" + same.size() + " (called by " + same.stream()
                .map(x -> "node " + nodeOf(x) + " at " + clock(x.at())).collect(Collectors.joining(", "))
                + duringWhat(same.get(0).at(), same.get(same.size() - 1).at()) + ")");
          }
        }
      }
    }
    checks.add(new Check("no lab-test execution attempt called twice at the receiver, unless its caller died before recording the outcome",
        calledTwice.isEmpty(), calls.size() + " executions called; made again after their caller's crash: " + madeAgainAfterACrash
            + (calledTwice.isEmpty() ? "" : "; twice: " + calledTwice.size() + ": " + first(calledTwice))));
    List<String> thawedCalls = run.pauses.stream().flatMap(p -> run.receiver.calls().stream()
            .filter(x -> nodeOf(x) == p.node() && x.at() >= p.removedAt() && p.removedAt() > 0 && x.at() <= (p.exitedAt() > 0 ? p.exitedAt() : Long.MAX_VALUE))
            .map(x -> x.executionId() + " attempt " + x.attempt() + " by node " + p.node() + " at " + clock(x.at())))
        .toList();
    checks.add(new Check("a node frozen past its removal called no lab-test action once thawed", thawedCalls.isEmpty(),
        thawedCalls.isEmpty() ? "none" : thawedCalls.size() + ": " + first(thawedCalls)));
    List<String> startedTwice = starts.entrySet().stream().filter(s -> s.getValue() > 1).map(s -> s.getKey() + " ×" + s.getValue()).sorted().toList();
    checks.add(new Check("no execution attempt started twice in the journal", startedTwice.isEmpty(),
        starts.size() + " attempts started" + (startedTwice.isEmpty() ? "" : "; twice: " + first(startedTwice))));

    // Lateness of what the product had accepted before it was due: a create answered 503 may
    // still be stored once its shard has a home again, past its instant, and then fires at once.
    // Stored before its instant as the journal says (the client's 201 may come on a retry after it).
    Set<String> accepted = orders.stream().filter(Ledger.LabTestOrder::acked).map(Ledger.LabTestOrder::id).collect(Collectors.toSet());
    lateness(calls.entrySet().stream().filter(c -> {
      Receiver.Call call = c.getValue().get(0);
      return accepted.contains(call.labTestId()) && createdAt.getOrDefault(call.labTestId(), Long.MAX_VALUE) <= call.dueAt();
    }).collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
  }

  /** The instants of a cron "every N seconds" (star-slash-N, then five stars and a question mark) strictly between two moments; other expressions are not expanded. */
  static List<Long> cronInstants(String cron, long after, long before) {
    Matcher m = Pattern.compile("\\*/(\\d+) \\* \\* \\* \\* \\?").matcher(cron);
    if (!m.matches()) return List.of();
    long period = Long.parseLong(m.group(1)) * 1000;
    List<Long> instants = new ArrayList<>();
    for (long t = (after / period + 1) * period; t < before; t += period) instants.add(t);
    return instants;
  }

  private void lateness(Map<String, List<Receiver.Call>> calls) {
    List<long[]> firsts = calls.values().stream().map(c -> new long[] {c.get(0).dueAt(), c.get(0).at() - c.get(0).dueAt()}).toList();
    List<String> tooLate = calls.values().stream().map(c -> c.get(0)).filter(c -> c.at() - c.dueAt() > latenessBound(c.dueAt()))
        .sorted(java.util.Comparator.comparingLong((Receiver.Call c) -> c.dueAt() - c.at()))
        .map(c -> c.executionId() + " " + ChaosRun.seconds(c.at() - c.dueAt()) + " late" + duringWhat(c.dueAt(), c.at()))
        .toList();
    // Instants never called are not here: the checks of one-time tests and cron instants count them.
    checks.add(new Check("every execution's first call was made within " + LATENESS_BOUND_MS / 1000
            + " s of its instant (more when due during a PostgreSQL stop: its length, plus the resume bound and 10 s)", tooLate.isEmpty(),
        firsts.size() + " executions" + (tooLate.isEmpty() ? "" : "; later: " + tooLate.size() + ": " + first(tooLate))));
    figures.add(new String[] {"lab-test fire lateness, all " + firsts.size() + " executions of tests stored and acknowledged before their instant"
        + " (first call − due)", percentiles(firsts.stream().mapToLong(f -> f[1]).toArray())});
    for (String kind : List.of("kill -9", "SIGSTOP", "PostgreSQL stop", "rolling restart")) {
      List<ChaosRun.Fault> of = run.faults.stream().filter(f -> f.kind().equals(kind)).toList();
      if (of.isEmpty()) continue;
      long[] during = firsts.stream().filter(f -> of.stream().anyMatch(x -> f[0] >= x.start() && f[0] <= x.end() + FAULT_TAIL_MS)).mapToLong(f -> f[1]).toArray();
      figures.add(new String[] {"lab-test fire lateness, " + during.length + " instants due during " + kind + " (to " + FAULT_TAIL_MS / 1000 + " s after)",
          percentiles(during)});
    }
  }

  /**
   * How late a call due at {@code dueAt} may be: {@link #LATENESS_BOUND_MS}, or, due while
   * PostgreSQL was stopped (nothing is journaled, so nothing starts), the stop's length until
   * every node was ready, plus the resume bound and 10 s.
   */
  private long latenessBound(long dueAt) {
    return run.faults.stream().filter(f -> f.kind().equals("PostgreSQL stop") && dueAt >= f.start() && dueAt <= f.end() + FAULT_TAIL_MS)
        .mapToLong(f -> f.end() - f.start() + resumeBoundMs + 10_000).reduce(LATENESS_BOUND_MS, Math::max);
  }

  private void exactlyOnce(String what, long acked, long missing, long twice, long unacknowledged) {
    checks.add(new Check("acknowledged " + what + " in the journal exactly once", missing == 0 && twice == 0,
        acked + " acknowledged; missing " + missing + ", stored twice " + twice
            + (unacknowledged >= 0 ? "; " + unacknowledged + " never acknowledged" : "")));
  }

  private void answers(String what, List<String> ids, Predicate<String> answers) {
    if (!run.readyForAudit) {
      checks.add(new Check(what, false, "not asked: a running node did not answer /ready when the load ended"));
      return;
    }
    List<String> wrong = ids.stream().filter(answers.negate()).toList();
    checks.add(new Check(what, wrong.isEmpty(), ids.size() + " asked" + (wrong.isEmpty() ? "" : "; not 200: " + wrong.size() + ": " + first(wrong))));
  }

  // --- errors and availability ------------------------------------------------------------

  private void errors() {
    List<Ledger.Attempt> all = List.copyOf(ledger.attempts);
    Map<String, Long> internal = all.stream().filter(a -> a.status() == 500).collect(Collectors.groupingBy(Ledger.Attempt::route, Collectors.counting()));
    long ready500 = run.api.readinessAnswers.getOrDefault(500, new LongAdder()).sum();
    checks.add(new Check("no HTTP 500 from the API", internal.isEmpty(), all.size() + " requests; 500: " + internal.values().stream().mapToLong(Long::longValue).sum()
        + (internal.isEmpty() ? "" : " " + internal)));
    checks.add(new Check("no HTTP 500 from /ready", ready500 == 0, "/ready answers by status (0: none within 2 s): " + new java.util.TreeMap<>(
        run.api.readinessAnswers.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().sum())))));
    long ok = writes.stream().filter(Ledger.Attempt::ok).count();
    long failed = writes.stream().filter(Ledger.Attempt::failed).count();
    Map<Integer, Long> byStatus = writes.stream().filter(Ledger.Attempt::failed).collect(Collectors.groupingBy(Ledger.Attempt::status, java.util.TreeMap::new, Collectors.counting()));
    figures.add(new String[] {"writes sent / 2xx / failed (5xx or no answer)", writes.size() + " / " + ok + " / " + failed + " " + byStatus.toString().replace("0=", "no answer=")});
    all.stream().collect(Collectors.groupingBy(Ledger.Attempt::route, java.util.TreeMap::new,
            Collectors.groupingBy(a -> a.status() == Ledger.NO_ANSWER ? "no answer" : String.valueOf(a.status()), java.util.TreeMap::new, Collectors.counting())))
        .forEach((route, statuses) -> figures.add(new String[] {"answers to " + route, statuses.toString().replace("{", "").replace("}", "")}));
  }

  private void availability() {
    List<ChaosRun.Fault> database = run.faults.stream().filter(f -> f.kind().equals("PostgreSQL stop")).toList();
    List<Ledger.Attempt> ok = writes.stream().filter(Ledger.Attempt::ok).sorted((a, b) -> Long.compare(a.doneAt(), b.doneAt())).toList();
    List<Long> successes = new ArrayList<>(List.of(run.load.startedAt));
    ok.stream().mapToLong(Ledger.Attempt::doneAt).filter(t -> t > run.load.startedAt && t < run.load.stoppedAt).forEach(successes::add);
    successes.add(run.load.stoppedAt);
    long longest = 0;
    long longestAt = 0;
    for (int i = 1; i < successes.size(); i++) {
      long start = successes.get(i - 1);
      long end = successes.get(i);
      // A gap that overlaps PostgreSQL's stop is the database's outage, reported on its own below.
      boolean databaseDown = database.stream().anyMatch(d -> d.start() < end && d.end() > start);
      if (!databaseDown && end - start > longest) {
        longest = end - start;
        longestAt = start;
      }
    }
    figures.add(new String[] {"longest time without a successful write while PostgreSQL ran (a majority of nodes was up throughout)",
        ChaosRun.seconds(longest) + " from " + clock(longestAt) + duringWhat(longestAt, longestAt + longest)});

    for (ChaosRun.Kill kill : run.kills) {
      long any = firstOk(a -> a.sentAt() >= kill.killedAt(), kill.killedAt());
      // An entity answers once its shard has a new home: a 2xx, or a refusal of its own (403 "not the
      // holder" for a booking the crash lost). The first 2xx also waits for the load's own cadence.
      Predicate<Ledger.Attempt> toItsEntities = a -> a.sentAt() >= kill.killedAt() && hostedBy(kill, a.entity());
      long answered = first(toItsEntities.and(a -> !a.failed()), kill.killedAt());
      long its = firstOk(toItsEntities, kill.killedAt());
      killRecoveries.add(new KillRecovery(kill, any, answered, its));
      checks.add(new Check("the entities of node " + kill.node() + (kill.oldest() ? " (oldest)" : "") + " answer writes again within "
          + resumeBoundMs / 1000 + " s of its kill -9 at " + clock(kill.killedAt()), answered >= 0 && answered <= resumeBoundMs,
          "first answer: " + (answered < 0 ? "none" : ChaosRun.seconds(answered)) + "; first 2xx: " + (its < 0 ? "none" : ChaosRun.seconds(its))
              + "; any write elsewhere: " + (any < 0 ? "none" : ChaosRun.seconds(any))));
    }
    for (ChaosRun.DatabaseStop stop : run.databaseStops) {
      long after = firstOk(a -> a.doneAt() >= stop.startedAt(), stop.startedAt());
      checks.add(new Check("writes resume within " + resumeBoundMs / 1000 + " s of PostgreSQL's start", after >= 0 && after <= resumeBoundMs,
          "first write " + (after < 0 ? "never" : ChaosRun.seconds(after)) + " after the start (stopped " + ChaosRun.seconds(stop.startedAt() - stop.stoppedAt())
              + "); every node ready " + (stop.allReadyAt() == 0 ? "never" : ChaosRun.seconds(stop.allReadyAt() - stop.startedAt())) + " after"));
    }
    for (ChaosRun.Pause p : run.pauses) {
      checks.add(new Check("the node frozen past its removal stopped by itself once thawed", p.exitedAt() > 0,
          "node " + p.node() + (p.oldest() ? " (oldest)" : "") + ": removed " + (p.removedAt() == 0 ? "never" : ChaosRun.seconds(p.removedAt() - p.pausedAt()))
              + " after SIGSTOP; stopped " + (p.exitedAt() == 0 ? "not within " + ChaosRun.EXIT_BOUND.toSeconds() + " s" : ChaosRun.seconds(p.exitedAt() - p.resumedAt()))
              + " after SIGCONT" + (p.readyAgainAt() == 0 ? "" : "; ready again " + ChaosRun.seconds(p.readyAgainAt() - p.resumedAt()) + " after SIGCONT")));
    }
    for (ChaosRun.Restart r : run.restarts) {
      figures.add(new String[] {"rolling restart of node " + r.node(), "SIGTERM exit code " + r.exitCode() + "; ready again "
          + (r.readyAt() == 0 ? "never" : ChaosRun.seconds(r.readyAt() - r.stoppedAt())) + " after SIGTERM"});
      // The documented window (docs/operations.md): from the SIGTERM until 10 s after the node is
      // ready again, a write to a shard moving away from it or back to it may answer 503; few do.
      // Up to the next fault (the harness starts it once this node is ready): its failures are its own.
      long nextFault = run.faults.stream().mapToLong(ChaosRun.Fault::start).filter(t -> t > r.stoppedAt()).min().orElse(Long.MAX_VALUE);
      long until = Math.min(nextFault, (r.readyAt() > 0 ? r.readyAt() : r.stoppedAt()) + HAND_OVER_WINDOW_MS);
      List<Ledger.Attempt> sent = writes.stream().filter(a -> a.sentAt() >= r.stoppedAt() && a.sentAt() <= until).toList();
      List<Ledger.Attempt> failed = sent.stream().filter(Ledger.Attempt::failed).toList();
      // 2 % of the window's writes, and never fewer than 3: on a quick machine the window holds
      // about 100 writes, and one shard moving back fails the two or three in flight to it at once.
      long allowed = Math.max(RESTART_FAILURES_AT_LEAST, RESTART_FAILURES_PERCENT * sent.size() / 100);
      checks.add(new Check("rolling restart of node " + r.node() + ": at most " + RESTART_FAILURES_PERCENT + " % (at least "
          + RESTART_FAILURES_AT_LEAST + ") of the writes from its SIGTERM until " + HAND_OVER_WINDOW_MS / 1000 + " s after it was ready failed",
          failed.size() <= allowed,
          failed.size() + " of " + sent.size() + " failed" + (failed.isEmpty() ? "" : ", sent " + failed.stream()
              .map(x -> ChaosRun.seconds(x.sentAt() - r.stoppedAt()) + " after the SIGTERM (" + x.route() + " " + x.status() + ")").limit(5).toList())));
    }
    for (long start = run.load.startedAt; start < run.load.stoppedAt; start += WINDOW_MS) {
      long s = start;
      List<Ledger.Attempt> in = writes.stream().filter(a -> a.sentAt() >= s && a.sentAt() < s + WINDOW_MS).toList();
      String faults = run.faults.stream().filter(f -> f.start() < s + WINDOW_MS && f.end() >= s)
          .map(f -> f.kind() + (f.node() > 0 ? " " + f.node() : "")).distinct().collect(Collectors.joining(", "));
      windows.add(new String[] {(s - run.load.startedAt) / 1000 + "-" + (s + WINDOW_MS - run.load.startedAt) / 1000 + " s", faults,
          String.valueOf(in.stream().filter(Ledger.Attempt::ok).count()), String.valueOf(in.stream().filter(Ledger.Attempt::failed).count()),
          String.valueOf(in.stream().filter(a -> a.status() == 500).count())});
    }
  }

  private boolean hostedBy(ChaosRun.Kill kill, String entity) {
    if (entity == null) return false;
    int bar = entity.indexOf('|');
    Set<String> shards = kill.shards().get(entity.substring(0, bar));
    String id = entity.substring(bar + 1);
    // A lab-test partition is a shard of its own (decision 0064); any other entity is hashed.
    return shards != null && shards.contains(entity.startsWith("LabTestPartition|") ? id : LocalCluster.shardOf(id));
  }

  /** Ms from {@code since} to the first write that matches and was answered (2xx or 4xx), or -1. */
  private long first(Predicate<Ledger.Attempt> which, long since) {
    return writes.stream().filter(which).mapToLong(Ledger.Attempt::doneAt).min().stream().map(t -> t - since).findFirst().orElse(-1);
  }

  /** Ms from {@code since} to the first successful write that matches, or -1. */
  private long firstOk(Predicate<Ledger.Attempt> which, long since) {
    return writes.stream().filter(Ledger.Attempt::ok).filter(which).mapToLong(Ledger.Attempt::doneAt).min().stream().map(t -> t - since).findFirst().orElse(-1);
  }

  /** The node number of a call's caller, 0 when unknown. */
  private int nodeOf(Receiver.Call call) {
    return run.cluster.numberOf(call.node()).orElse(0);
  }

  /** Whether the node that made {@code earlier} was killed, stopped, or frozen until its removal, before {@code later} came. */
  private boolean callerDiedBetween(Receiver.Call earlier, Receiver.Call later) {
    int node = nodeOf(earlier);
    return node > 0 && (run.kills.stream().anyMatch(k -> k.node() == node && k.killedAt() >= earlier.at() && k.killedAt() <= later.at())
        || run.restarts.stream().anyMatch(r -> r.node() == node && r.stoppedAt() >= earlier.at() && r.stoppedAt() <= later.at())
        // Frozen: a call that reached the receiver before the node's removal was sent before the
        // freeze (one sent just before it may arrive just after); calls after it are checked below.
        || run.pauses.stream().anyMatch(p -> p.node() == node && p.removedAt() > 0 && earlier.at() <= p.removedAt() && p.pausedAt() <= later.at()));
  }

  private String duringWhat(long from, long to) {
    String faults = run.faults.stream().filter(f -> f.start() <= to && f.end() + FAULT_TAIL_MS >= from)
        .map(f -> f.kind() + (f.node() > 0 ? " of node " + f.node() : "")).distinct().collect(Collectors.joining(", "));
    return faults.isEmpty() ? "" : " (during " + faults + ")";
  }

  private String clock(long epochMillis) {
    return ChaosRun.seconds(epochMillis - run.load.startedAt).replace(" s", "") + " s into the load";
  }

  static String percentiles(long[] millis) {
    if (millis.length == 0) return "none";
    long[] sorted = millis.clone();
    Arrays.sort(sorted);
    return String.format(Locale.ROOT, "p50 %d ms, p99 %d ms, max %d ms", at(sorted, 0.50), at(sorted, 0.99), sorted[sorted.length - 1]);
  }

  private static long at(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(q * sorted.length) - 1))];
  }

  private static String first(List<String> items) {
    return items.stream().limit(5).collect(Collectors.joining("; ")) + (items.size() > 5 ? "; …" : "");
  }

  // --- the report -------------------------------------------------------------------------

  /** The report as Markdown tables: checks, figures, kills, and writes per 20 s window. */
  String report() {
    StringBuilder out = new StringBuilder();
    out.append("### Checks\n\n| check | result | detail |\n|---|---|---|\n");
    for (Check c : checks) out.append("| ").append(c.name()).append(" | ").append(c.passed() ? "ok" : "**FAILED**").append(" | ").append(c.detail()).append(" |\n");
    out.append("\n### Figures\n\n| measure | value |\n|---|---|\n");
    for (String[] f : figures) out.append("| ").append(f[0]).append(" | ").append(f[1]).append(" |\n");
    if (!killRecoveries.isEmpty()) {
      out.append("\n### kill -9\n\n| at | node | first successful write (any entity) | first answer from an entity on the killed node's shards (2xx or 4xx) | first 2xx from one | node ready again |\n|---|---|---|---|---|---|\n");
      for (KillRecovery k : killRecoveries) {
        out.append("| ").append(clock(k.kill().killedAt())).append(" | ").append(k.kill().node()).append(k.kill().oldest() ? " (oldest)" : "").append(" | ")
            .append(k.firstWrite() < 0 ? "none" : ChaosRun.seconds(k.firstWrite())).append(" | ")
            .append(k.firstAnswerFromItsEntities() < 0 ? "none" : ChaosRun.seconds(k.firstAnswerFromItsEntities())).append(" | ")
            .append(k.firstWriteToItsEntities() < 0 ? "none" : ChaosRun.seconds(k.firstWriteToItsEntities())).append(" | ")
            .append(k.kill().readyAt() == 0 ? "never" : ChaosRun.seconds(k.kill().readyAt() - k.kill().killedAt())).append(" after the kill |\n");
      }
    }
    out.append("\n### Writes per 20 s of load\n\n| window | faults in it | 2xx | failed (5xx, no answer) | 500 |\n|---|---|---|---|---|\n");
    for (String[] w : windows) out.append("| ").append(String.join(" | ", w)).append(" |\n");
    return out.toString();
  }
}
