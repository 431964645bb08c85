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

  /** Creations awaiting their answer at once (db-scheduler is handed 1,000 tasks per call). */
  static final int IN_FLIGHT = Integer.getInteger("bench.in-flight", 256);
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

  @Override
  public void schedule(List<Task> tasks) throws Exception {
    LabTests[] through = nodes.stream().map(DeviceBenchAccess::labTests).toArray(LabTests[]::new);
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    CompletableFuture<?>[] all = new CompletableFuture<?>[tasks.size()];
    for (int i = 0; i < tasks.size(); i++) {
      Task t = tasks.get(i);
      inFlight.acquire();
      LabTest.Definition definition = new LabTest.Definition("bench " + t.id(), "bench", null, List.of(), Schedule.once(t.due()),
          new LabTestAction("bench", Map.of("task", t.id())), 0, LabTest.FIRE_ONCE);
      LabTests node = through[i % through.length];
      String id = LabTests.newId();
      all[i] = create(node, id, definition, 1).toCompletableFuture().whenComplete((reply, error) -> {
        inFlight.release();
        if (error != null || reply instanceof LabTest.Rejected) throw new IllegalStateException("not scheduled: " + t.id() + " " + reply + " " + error);
      });
    }
    CompletableFuture.allOf(all).join();
  }

  /**
   * A creation, tried again with the same id when it timed out, as a client would after a 503:
   * a command can be lost while its partition is handed to another node (a rebalance when a
   * node joins). A repeat that finds the test made by the lost-looking first try is a success.
   */
  private static java.util.concurrent.CompletionStage<LabTest.Reply> create(LabTests node, String id, LabTest.Definition definition, int tries) {
    return node.ask(id, r -> new LabTest.Create(definition, "bench", null, r)).handle((reply, error) -> {
      if (error == null) {
        boolean madeBefore = tries > 1 && reply instanceof LabTest.Rejected r && r.rejection().kind() == lims.kernel.Rejection.Kind.CONFLICT;
        return java.util.concurrent.CompletableFuture.completedFuture(madeBefore ? (LabTest.Reply) new LabTest.Current(null) : reply);
      }
      if (tries >= 3) return java.util.concurrent.CompletableFuture.<LabTest.Reply>failedFuture(error);
      return create(node, id, definition, tries + 1);
    }).thenCompose(f -> f);
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
