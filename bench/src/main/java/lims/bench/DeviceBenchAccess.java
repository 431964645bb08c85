package lims.bench;

import java.util.Map;
import lims.scheduling.LabTestActions;
import lims.scheduling.LabTests;

/** A benchmark node (the device benchmark's: PostgreSQL from LIMS_BENCH_PG_URL, a fresh database) for benchmarks in other packages. */
public final class DeviceBenchAccess {

  private final DeviceBench bench = new DeviceBench();

  public void start(Map<String, LabTestActions.Kind> actionKinds) throws Exception {
    bench.actionKinds = actionKinds;
    bench.startNode();
  }

  /**
   * Another node on {@code first}'s database, joining {@code first}'s cluster: several nodes in
   * this JVM sharing one PostgreSQL, as ThreeNodeClusterTest runs them. Returns once it is Up.
   */
  public void join(DeviceBenchAccess first, Map<String, LabTestActions.Kind> actionKinds) throws Exception {
    bench.actionKinds = actionKinds;
    bench.dbUrl = first.bench.dbUrl;
    String seed = org.apache.pekko.cluster.typed.Cluster.get(first.system()).selfMember().address().toString();
    bench.startNodeOnDatabase(Map.of("lims.cluster.seed-nodes", seed));
  }

  public LabTests labTests() {
    return bench.node.labTests();
  }

  /** A fresh database on the benchmark's PostgreSQL, and its JDBC URL. */
  public static String freshDatabase(String prefix) throws Exception {
    return DeviceBench.createDatabase(prefix + "_" + System.currentTimeMillis());
  }

  public org.apache.pekko.actor.typed.ActorSystem<Void> system() {
    return bench.node.system();
  }

  /** One number from the running node's database. */
  public long count(String query) throws Exception {
    return bench.longScalar(query);
  }

  /** The JDBC URL of the running node's database. */
  public String database() {
    return bench.dbUrl;
  }

  /** Runs one statement on a database of the benchmark's PostgreSQL. */
  public static void execute(String url, String statement) throws Exception {
    DeviceBench.sql(url, statement);
  }

  public static String user() {
    return DeviceBench.USER;
  }

  /** Stops the node and starts a new one on the same database: every entity is then woken from what it persisted. */
  public void restart() throws Exception {
    bench.stopNode();
    bench.startNodeOnDatabase(Map.of());
  }

  public void stop() throws Exception {
    bench.stopNode();
  }
}
