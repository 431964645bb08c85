package lims.bench.scheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import lims.bench.DeviceBenchAccess;
import lims.scheduling.LabTest;
import lims.scheduling.LabTestAction;
import lims.scheduling.LabTestActions;
import lims.scheduling.LabTestPartition;
import lims.scheduling.LabTests;
import lims.scheduling.Schedule;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * This system: {@code nodes} nodes in this JVM forming one cluster on one PostgreSQL database
 * of its own, with a no-op action kind that records each start. Tests are created through
 * the nodes in turn, so with several nodes each takes its share of the creations as a load
 * balancer would give them, and sharding spreads the tests' firing over all of them.
 */
final class LimsContender implements Contender {

  /** Tasks awaiting their answer at once: four calls of 1,000 (db-scheduler is handed 1,000 a call, one call at a time, and answers when they are stored). */
  static final int IN_FLIGHT = Integer.getInteger("bench.in-flight", 4000);
  static final Duration FORMING = Duration.ofSeconds(90);

  private final List<DeviceBenchAccess> nodes = new ArrayList<>();
  /** Executions each node ran: the spread sharding gave the firing. */
  private final LongAdder[] fired;
  private final int size;

  LimsContender(int size) throws Exception {
    this.size = size;
    this.fired = new LongAdder[size];
    for (int i = 0; i < size; i++) fired[i] = new LongAdder();
    DeviceBenchAccess first = new DeviceBenchAccess();
    first.start(actionKinds(0));
    nodes.add(first);
    joinTheOthers();
  }

  /** The no-op action kind of node {@code index}: records the start, and counts it for the node. */
  private Map<String, LabTestActions.Kind> actionKinds(int index) {
    LabTestActions.Kind record = new LabTestActions.Kind(p -> Optional.empty(), (action, execution) -> {
      Contender.started((String) action.parameters().get("task"));
      fired[index].increment();
      return CompletableFuture.completedFuture(LabTestAction.Outcome.succeeded("recorded"));
    });
    return Map.of("bench", record);
  }

  /** Nodes 2..size join the first; returns once every node sees all of them Up (sharding then allocates over all). */
  private void joinTheOthers() throws Exception {
    for (int i = 1; i < size; i++) {
      DeviceBenchAccess node = new DeviceBenchAccess();
      node.join(nodes.get(0), actionKinds(i));
      nodes.add(node);
    }
    Instant deadline = Instant.now().plus(FORMING);
    for (DeviceBenchAccess node : nodes) {
      while (upMembers(node) < size) {
        if (Instant.now().isAfter(deadline)) throw new IllegalStateException("the cluster of " + size + " did not form within " + FORMING);
        LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      }
    }
  }

  private static long upMembers(DeviceBenchAccess node) {
    long up = 0;
    for (var member : Cluster.get(node.system()).state().getMembers()) {
      if (member.status() == MemberStatus.up()) up++;
    }
    return up;
  }

  int nodes() {
    return size;
  }

  String firedPerNode() {
    return String.join(" / ", Arrays.stream(fired).map(f -> String.format("%,d", f.sum())).toList());
  }

  @Override
  public String name() {
    return size == 1 ? "lims (1 node)" : "lims (" + size + " nodes, one JVM)";
  }

  @Override
  public String database() {
    return nodes.get(0).database();
  }

  /**
   * Hands the tasks over in calls of {@link #PER_CALL}, as db-scheduler is handed them
   * ({@code scheduleBatch} of 1,000), each call one message a partition
   * ({@link LabTests#createAll}), with {@link #IN_FLIGHT} tasks awaiting their answer at once;
   * through the nodes in turn, as a load balancer would.
   */
  @Override
  public void schedule(List<Task> tasks) throws Exception {
    LabTests[] through = nodes.stream().map(DeviceBenchAccess::labTests).toArray(LabTests[]::new);
    Semaphore inFlight = new Semaphore(Math.max(IN_FLIGHT, PER_CALL));
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int from = 0, call = 0; from < tasks.size(); from += PER_CALL, call++) {
      List<Task> some = tasks.subList(from, Math.min(tasks.size(), from + PER_CALL));
      inFlight.acquire(some.size());
      List<LabTestPartition.NewTest> tests = some.stream().map(t -> new LabTestPartition.NewTest(LabTests.newId(), new LabTest.Definition(
          "bench " + t.id(), "bench", null, List.of(), Schedule.once(t.due()), new LabTestAction("bench", Map.of("task", t.id())), 0,
          LabTest.FIRE_ONCE), "bench")).toList();
      all.add(createAll(through[call % through.length], tests, 1).toCompletableFuture().whenComplete((replies, error) -> {
        inFlight.release(some.size());
        if (error != null) throw new IllegalStateException("not scheduled: " + some.size() + " tasks from " + some.get(0).id(), error);
        for (LabTest.Reply reply : replies) {
          if (reply instanceof LabTest.Rejected r && !madeBefore(r)) throw new IllegalStateException("not scheduled: " + r.rejection());
        }
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
  }

  /** Tasks a call hands over, as db-scheduler's batches. */
  static final int PER_CALL = Integer.getInteger("bench.per-call", 1000);

  /**
   * A call, tried again with the same ids when it timed out, as a client would after a 503: a
   * partition's message can be lost while the partition is handed to another node (a
   * rebalance when a node joins), or answered late. A test the first try made is then
   * refused as a conflict ({@link #madeBefore}): made, once.
   */
  private static java.util.concurrent.CompletionStage<List<LabTest.Reply>> createAll(LabTests node, List<LabTestPartition.NewTest> tests,
      int tries) {
    return node.createAll(tests).handle((replies, error) -> {
      if (error == null) return CompletableFuture.completedFuture(replies);
      if (tries >= 3) return CompletableFuture.<List<LabTest.Reply>>failedFuture(error);
      return createAll(node, tests, tries + 1);
    }).thenCompose(f -> f);
  }

  /** A conflict: only a repeated call's, as the ids are new (a test its first try made). */
  private static boolean madeBefore(LabTest.Rejected r) {
    return r.rejection().kind() == lims.kernel.Rejection.Kind.CONFLICT;
  }

  @Override
  public void restart() throws Exception {
    for (int i = nodes.size() - 1; i >= 1; i--) nodes.remove(i).stop();
    nodes.get(0).restart();
    joinTheOthers();
  }

  @Override
  public void close() throws Exception {
    // The joiners leave first, so the first node does not hand shards to nodes about to stop.
    for (int i = nodes.size() - 1; i >= 0; i--) nodes.get(i).stop();
  }
}
