package lims.bench.scheduler;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import lims.bench.DeviceBenchAccess;
import lims.scheduling.LabTest;
import lims.scheduling.LabTestAction;
import lims.scheduling.LabTestActions;
import lims.scheduling.LabTests;
import lims.scheduling.Schedule;

/** This system: one LabTest entity per task on a node in this JVM, on its own PostgreSQL database, with a no-op action kind. */
final class LimsContender implements Contender {

  /** Creations awaiting their answer at once (db-scheduler is handed 1,000 tasks per call). */
  static final int IN_FLIGHT = Integer.getInteger("bench.in-flight", 256);

  private final DeviceBenchAccess node = new DeviceBenchAccess();

  LimsContender() throws Exception {
    LabTestActions.Kind record = new LabTestActions.Kind(p -> Optional.empty(), (action, execution) -> {
      Contender.started((String) action.parameters().get("task"));
      return CompletableFuture.completedFuture(LabTestAction.Outcome.succeeded("recorded"));
    });
    node.start(Map.of("bench", record));
  }

  @Override
  public String name() {
    return "lims (LabTest entities, deadline index)";
  }

  @Override
  public String database() {
    return node.database();
  }

  @Override
  public void schedule(List<Task> tasks) throws Exception {
    LabTests labTests = node.labTests();
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    CompletableFuture<?>[] all = new CompletableFuture<?>[tasks.size()];
    for (int i = 0; i < tasks.size(); i++) {
      Task t = tasks.get(i);
      inFlight.acquire();
      LabTest.Definition definition = new LabTest.Definition("bench " + t.id(), "bench", null, List.of(), Schedule.once(t.due()),
          new LabTestAction("bench", Map.of("task", t.id())), 0, LabTest.FIRE_ONCE);
      all[i] = labTests.ask(LabTests.newId(), r -> new LabTest.Create(definition, "bench", null, r)).toCompletableFuture().whenComplete((reply, error) -> {
        inFlight.release();
        if (error != null || reply instanceof LabTest.Rejected) throw new IllegalStateException("not scheduled: " + t.id() + " " + reply + " " + error);
      });
    }
    CompletableFuture.allOf(all).join();
  }

  @Override
  public void restart() throws Exception {
    node.restart();
  }

  @Override
  public void close() throws Exception {
    node.stop();
  }
}
