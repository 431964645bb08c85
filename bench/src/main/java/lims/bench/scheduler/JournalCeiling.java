package lims.bench.scheduler;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import lims.bench.DeviceBenchAccess;
import lims.scheduling.LabTest;
import lims.scheduling.LabTestAction;
import lims.scheduling.LabTests;
import lims.scheduling.Schedule;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.typed.PersistenceId;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A measuring probe, not a scheduler: the ceiling of any design that keeps each lab test's
 * events and read tables on this machine. The three events of a one-time test (created,
 * started, succeeded) are written straight to the node's journal, many tests per write, with
 * no entity, recovery or timer, and the node's own projection reads them into the read
 * tables. Each phase is timed until the read tables show all of it.
 */
final class JournalCeiling {

  static final int TESTS_PER_WRITE = 100;
  static final int WRITES_IN_FLIGHT = 32;

  static void run(int tests) throws Exception {
    DeviceBenchAccess node = new DeviceBenchAccess();
    node.start(Map.of());
    try {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < tests; i++) ids.add(LabTests.newId());
      Instant due = Instant.now().plusSeconds(3600);
      LabTest.Definition definition = new LabTest.Definition("ceiling", "bench", null, List.of(), Schedule.once(due),
          new LabTestAction("http", Map.of("url", "http://127.0.0.1:9/")), 0, LabTest.FIRE_ONCE);
      long t0 = System.nanoTime();
      phase(node, "created", ids, 1, id -> new LabTest.LabTestCreated(id, definition, due, "bench", Instant.now(), null),
          "SELECT count(*) FROM lab_test");
      phase(node, "started", ids, 2, id -> new LabTest.ExecutionStarted(id, LabTest.executionId(id, due), due, 1, Instant.now(), "schedule"),
          "SELECT count(*) FROM lab_test_execution");
      phase(node, "succeeded", ids, 3, id -> new LabTest.ExecutionSucceeded(id, LabTest.executionId(id, due), due, 1, Instant.now(),
          Instant.now(), List.of("recorded"), null), "SELECT count(*) FROM lab_test WHERE status = 'completed'");
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.err.printf("[bench] journal ceiling: %d tests, three events each, in %.1f s: %.0f tests/s, %.0f events/s%n", tests, seconds,
          tests / seconds, 3 * tests / seconds);
    } finally {
      node.stop();
    }
  }

  /** Polled every 20 ms: a count is a statement on the database being measured, so not in a tight loop. */
  private static void waitOrFail(long deadline, String failure) {
    if (System.nanoTime() > deadline) throw new IllegalStateException(failure);
    LockSupport.parkNanos(20_000_000);
  }

  /** Writes one event per test, TESTS_PER_WRITE tests per journal write, then waits for the read tables to count them all. */
  private static void phase(DeviceBenchAccess node, String name, List<String> ids, long sequenceNr, Function<String, LabTest.Event> event,
      String readTableCount) throws Exception {
    ActorSystem<Void> system = node.system();
    var journal = Persistence.get(Adapter.toClassic(system)).journalFor("jdbc-journal", com.typesafe.config.ConfigFactory.empty());
    Semaphore inFlight = new Semaphore(WRITES_IN_FLIGHT);
    AtomicReference<Object> failure = new AtomicReference<>();
    AtomicLong answered = new AtomicLong(); // one answer per event, success or not, after its write's
    Behavior<Object> answers = Behaviors.receiveMessage(m -> {
      if (m instanceof JournalProtocol.WriteMessagesFailed || m instanceof JournalProtocol.WriteMessageRejected
          || m instanceof JournalProtocol.WriteMessageFailure) failure.compareAndSet(null, m);
      if (m instanceof JournalProtocol.WriteMessagesSuccessful$ || m instanceof JournalProtocol.WriteMessagesFailed) inFlight.release();
      if (m instanceof JournalProtocol.WriteMessageSuccess || m instanceof JournalProtocol.WriteMessageRejected
          || m instanceof JournalProtocol.WriteMessageFailure) answered.incrementAndGet();
      return Behaviors.same();
    });
    var replyTo = Adapter.toClassic(system.systemActorOf(answers, "journal-ceiling-" + name, org.apache.pekko.actor.typed.Props.empty()));
    long t0 = System.nanoTime();
    for (int from = 0; from < ids.size(); from += TESTS_PER_WRITE) {
      List<PersistentEnvelope> writes = new ArrayList<>();
      for (String id : ids.subList(from, Math.min(ids.size(), from + TESTS_PER_WRITE))) {
        // One event a row, as the projection reads the partitions' rows (a batch of one).
        Tagged payload = new Tagged(new lims.scheduling.LabTestPartition.Batch(List.of(event.apply(id))),
            CollectionConverters.asScala(LabTest.TAGS.tagSetFor(id)).toSet());
        writes.add(AtomicWrite.apply(PersistentRepr.apply(payload, sequenceNr, PersistenceId.of(lims.scheduling.LabTestPartition.TYPE.name(), id).id(), "",
            false, null, "ceiling")));
      }
      inFlight.acquire();
      journal.tell(new JournalProtocol.WriteMessages(CollectionConverters.asScala(writes).toList(), replyTo, 1), replyTo);
    }
    inFlight.acquire(WRITES_IN_FLIGHT);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (answered.get() < ids.size()) waitOrFail(deadline, name + ": " + answered.get() + " of " + ids.size() + " writes answered");
    double written = (System.nanoTime() - t0) / 1e9;
    if (failure.get() != null) throw new IllegalStateException(name + ": " + failure.get());
    while (node.count(readTableCount) < ids.size()) waitOrFail(deadline, name + ": the read tables did not catch up within 5 minutes");
    double read = (System.nanoTime() - t0) / 1e9;
    System.err.printf("[bench] journal ceiling, %s: %d events written in %.2f s (%.0f/s), in the read tables after %.2f s (%.0f/s)%n", name,
        ids.size(), written, ids.size() / written, read, ids.size() / read);
  }
}
