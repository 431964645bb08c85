package lims.bench.scheduler;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/** One scheduler under test: durably schedules tasks, and runs a no-op that records its start in {@link #STARTS}. */
interface Contender extends AutoCloseable {

  /** A task: its id and the instant it is due. */
  record Task(String id, Instant due) {}

  /** Every start of every task, by task id: the benchmark's only source of truth. */
  Map<String, Queue<Instant>> STARTS = new ConcurrentHashMap<>();

  static void started(String taskId) {
    STARTS.computeIfAbsent(taskId, k -> new ConcurrentLinkedQueue<>()).add(Instant.now());
  }

  String name();

  /** The JDBC URL of the database this scheduler keeps its tasks in. */
  String database();

  /** Returns once every task is durably scheduled. */
  void schedule(List<Task> tasks) throws Exception;

  /**
   * Stops the scheduler and starts it again on the same database, so that tasks scheduled
   * before run from what was stored, as after a deployment (only the firing probe uses this).
   */
  void restart() throws Exception;
}
