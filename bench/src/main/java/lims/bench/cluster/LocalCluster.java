package lims.bench.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Three cluster nodes on this machine, each launched as {@code ./lims node} launches one (a
 * process of its own on the packaged jar), on one PostgreSQL. Every node names all three as
 * seed nodes, so a restarted first node joins the others instead of founding a cluster of
 * its own. Nodes are numbered from 1; each keeps its ports across restarts, and its console
 * (every incarnation) goes to {@code node-N.log} in the cluster's folder.
 */
public final class LocalCluster implements AutoCloseable {

  public static final int SIZE = 3;
  static final Pattern UP = Pattern.compile("LIMS is up: (\\S+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One node's ports; they stay the same across its restarts. */
  public record Node(int number, int httpPort, int remotePort, int managementPort) {
    public String baseUrl() {
      return "http://127.0.0.1:" + httpPort;
    }

    String managementUrl() {
      return "http://127.0.0.1:" + managementPort;
    }

    /** The cluster member's address, as Pekko Management names it. */
    String address() {
      return "pekko://lims@127.0.0.1:" + remotePort;
    }
  }

  private final Path dir;
  private final Map<String, String> env;
  private final List<String> javaOptions;
  private final List<Node> nodes;
  private final LaunchedNode[] processes = new LaunchedNode[SIZE];
  /** When each node's current incarnation was started (epoch ms): a rolling restart goes newest first. */
  private final long[] startedAt = new long[SIZE];
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * @param javaOptions JVM flags for every node, as {@code LIMS_JAVA_OPTS} would give them
   */
  public LocalCluster(Path dir, PrivatePostgres database, String adminPassword, List<String> javaOptions) {
    this.dir = dir;
    this.javaOptions = List.copyOf(javaOptions);
    this.nodes = IntStream.rangeClosed(1, SIZE)
        .mapToObj(n -> new Node(n, LaunchedNode.freePort(), LaunchedNode.freePort(), LaunchedNode.freePort())).toList();
    this.env = Map.of(
        "LIMS_DB_URL", database.url() + "?reWriteBatchedInserts=true",
        "LIMS_DB_USER", database.user(),
        "LIMS_DB_PASSWORD", "",
        "LIMS_JWT_SECRET", UUID.randomUUID() + "-" + UUID.randomUUID(),
        "LIMS_ADMIN_PASSWORD", adminPassword,
        "LIMS_SEED_NODES", nodes.stream().map(n -> "127.0.0.1:" + n.remotePort()).collect(Collectors.joining(",")));
  }

  public List<Node> nodes() {
    return nodes;
  }

  public Node node(int number) {
    return nodes.get(number - 1);
  }

  public Path dir() {
    return dir;
  }

  /**
   * Starts the first seed, waits until it is up (it forms the cluster), then the others together,
   * and waits until each says it is up: three JVMs starting at once on two cores missed each
   * other's heartbeats while they joined, and the split-brain resolver downed one.
   */
  public void startAll() {
    start(1);
    awaitUp(1, LaunchedNode.START_BOUND);
    for (Node n : nodes) if (n.number() != 1) start(n.number());
    // In parallel: each wait is up to the start bound, and the nodes come up together.
    CompletableFuture.allOf(nodes.stream().map(n -> CompletableFuture.runAsync(() -> awaitUp(n.number(), LaunchedNode.START_BOUND)))
        .toArray(CompletableFuture[]::new)).join();
  }

  /** Starts a (new incarnation of the) node; it must not be running. */
  public synchronized void start(int number) {
    LaunchedNode current = processes[number - 1];
    if (current != null && current.isAlive()) throw new IllegalStateException("node " + number + " is still running");
    Node n = node(number);
    processes[number - 1] = LaunchedNode.start(dir.resolve("node-" + number + ".log"), env, javaOptions, List.of("cluster",
        "--port", String.valueOf(n.httpPort()), "--remote-port", String.valueOf(n.remotePort()),
        "--management-port", String.valueOf(n.managementPort())));
    startedAt[number - 1] = System.currentTimeMillis();
  }

  public void awaitUp(int number, Duration bound) {
    process(number).awaitConsole(UP, bound);
  }

  public synchronized LaunchedNode process(int number) {
    return processes[number - 1];
  }

  public synchronized long startedAt(int number) {
    return startedAt[number - 1];
  }

  /** The node's /ready answer: its status, or 0 when it gave none within 2 s. */
  public int readiness(int number) {
    return get(node(number).baseUrl() + "/ready").map(HttpResponse::statusCode).orElse(0);
  }

  public void awaitReady(int number, Duration bound) {
    Await.until(bound, () -> "node " + number + " to answer /ready with 200", () -> readiness(number) == 200);
  }

  /** The oldest member (the host of the singletons and the shard coordinators), as the first node that answers says. */
  public Optional<Integer> oldest() {
    for (Node asked : nodes) {
      Optional<JsonNode> members = json(asked.managementUrl() + "/cluster/members");
      if (members.isPresent()) return numberOf(members.get().path("oldest").asText());
    }
    return Optional.empty();
  }

  /** The members {@code asked} sees as Up or in another state, by node number; empty when it does not answer. */
  public Optional<Map<Integer, String>> members(int asked) {
    return json(node(asked).managementUrl() + "/cluster/members").map(m -> {
      Map<Integer, String> status = new java.util.TreeMap<>();
      m.path("members").forEach(member -> numberOf(member.path("node").asText()).ifPresent(n -> status.put(n, member.path("status").asText())));
      return status;
    });
  }

  /** The shards of one entity type the node hosts now (Pekko Management's region statistics). */
  public Set<String> shards(int number, String entityType) {
    Set<String> shards = new HashSet<>();
    json(node(number).managementUrl() + "/cluster/shards/" + entityType)
        .ifPresent(s -> s.path("regions").forEach(r -> shards.add(r.path("shardId").asText())));
    return shards;
  }

  /**
   * The shard an entity id belongs to: Pekko's default extractor, abs(hashCode) modulo the
   * number of shards (LIMS_SHARDS, 100 unless set).
   */
  public static String shardOf(String entityId) {
    return String.valueOf(Math.abs(entityId.hashCode()) % 100);
  }

  /** The nodes in the order a rolling restart takes them: newest incarnation first, oldest last. */
  public synchronized List<Integer> newestFirst() {
    List<Integer> order = new ArrayList<>(IntStream.rangeClosed(1, SIZE).boxed().toList());
    order.sort((a, b) -> Long.compare(startedAt[b - 1], startedAt[a - 1]));
    return order;
  }

  /** The node with this cluster address (pekko://lims@host:port), if it is one of these. */
  public Optional<Integer> numberOf(String address) {
    return nodes.stream().filter(n -> n.address().equals(address)).map(Node::number).findFirst();
  }

  private Optional<JsonNode> json(String url) {
    return get(url).filter(r -> r.statusCode() == 200).map(r -> {
      try {
        return JSON.readTree(r.body());
      } catch (IOException e) {
        throw new IllegalStateException(url + " answered no JSON: " + r.body(), e);
      }
    });
  }

  private Optional<HttpResponse<String>> get(String url) {
    try {
      return Optional.of(http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Stops every node that runs (SIGTERM, all at once); one that does not stop in time is killed. */
  @Override
  public void close() {
    CompletableFuture.allOf(nodes.stream().map(n -> CompletableFuture.runAsync(() -> {
      LaunchedNode p = process(n.number());
      if (p == null) return;
      try {
        p.close();
      } catch (InterruptedException | AssertionError e) {
        try {
          p.kill();
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
      }
    })).toArray(CompletableFuture[]::new)).join();
  }
}
