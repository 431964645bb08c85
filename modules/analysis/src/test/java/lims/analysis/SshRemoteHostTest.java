package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import lims.analysis.testing.Await;
import lims.analysis.testing.SshServer;
import lims.analysis.testing.Tunnel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dispatch against a real OpenSSH server and real tmux: start, repeat, kill, refusals; and
 * hosts that misbehave (silent, holding a command's output, no longer answering), each of
 * which fails its start at the bound without holding up a start to a good host.
 */
class SshRemoteHostTest {

  @TempDir static Path dir;
  static SshServer server;
  static ExecutorService io;
  static SshRemoteHost remote;

  @BeforeAll
  static void start() {
    server = SshServer.start(dir);
    io = Executors.newFixedThreadPool(8);
    remote = new SshRemoteHost(io, Duration.ofSeconds(10));
  }

  @AfterAll
  static void stop() throws Exception {
    if (remote != null) remote.close();
    if (io != null) io.shutdownNow();
    if (server != null) server.close();
  }

  static Pipeline pipeline(Path knownHosts, Path key) {
    return pipeline(server.port, knownHosts, key);
  }

  static Pipeline pipeline(int port, Path knownHosts, Path key) {
    return new Pipeline("test", "127.0.0.1", port, server.user, key, knownHosts, CommandTemplate.parse("true"),
        dir.resolve("results"), Duration.ofHours(12), server.tmuxSocket);
  }

  /** The bound of the misbehaving-host tests, and what a loaded machine may add to it. */
  static final Duration BOUND = Duration.ofSeconds(5);
  static final Duration SLACK = Duration.ofSeconds(5);

  interface BoundedTest {
    void run(SshRemoteHost bounded) throws Exception;
  }

  /** Runs the test with a remote of BOUND on a pool of two I/O threads: a stuck host that held threads would hold them all. */
  static void withTwoThreads(BoundedTest test) throws Exception {
    ExecutorService two = Executors.newFixedThreadPool(2);
    SshRemoteHost bounded = new SshRemoteHost(two, BOUND);
    try {
      test.run(bounded);
    } finally {
      bounded.close();
      two.shutdownNow();
    }
  }

  /** Fails unless the start fails for having had no answer within the bound, and in about that time (the slack). */
  static void failsAtTheBound(CompletableFuture<?> start, long startedNanos) {
    var failed = assertThrows(ExecutionException.class, () -> start.get(BOUND.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS));
    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
    assertTrue(failed.getCause().getMessage().contains("no answer within " + BOUND.toMillis() + " ms"), failed.getCause().getMessage());
    assertTrue(took.compareTo(BOUND.plus(SLACK)) < 0, "failed after " + took);
  }

  @Test
  void aHostThatNeverSendsItsBannerFailsEveryStartAtTheBoundAndHoldsUpNoOtherHost() throws Exception {
    // The kernel completes the TCP handshake for a listening socket nobody accepts on: connected, and never a word.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Pipeline mute = pipeline(silent.getLocalPort(), server.knownHosts, server.clientKey);
      withTwoThreads(bounded -> {
        long t0 = System.nanoTime();
        var stuck = IntStream.range(0, 4).mapToObj(i -> bounded.start(mute, "AN-SP-2026-000007-" + (i + 1), "true").toCompletableFuture()).toList();
        // Started after them and on the same two threads, a start to a good host gets through while they still wait.
        get(bounded.start(pipeline(server.knownHosts, server.clientKey), "AN-SP-2026-000008-1", "sleep 60"), BOUND);
        assertTrue(server.hasSession("AN-SP-2026-000008-1"));
        for (var start : stuck) failsAtTheBound(start, t0);
        get(bounded.kill(pipeline(server.knownHosts, server.clientKey), "AN-SP-2026-000008-1"), BOUND);
      });
    }
  }

  @Test
  void aCommandThatKeepsItsOutputOpenIsAbandonedAtTheBoundAndTheNextStartGetsThrough() throws Exception {
    // A host whose every command never closes its output (tmux would be the same had its server kept the channel's descriptors).
    Path pids = dir.resolve("holding-pids");
    try (SshServer holding = SshServer.start(Files.createDirectories(dir.resolve("holding")),
        "ForceCommand echo $$ >> " + pids + "; exec sleep 600")) {
      Pipeline held = pipeline(holding.port, holding.knownHosts, holding.clientKey);
      withTwoThreads(bounded -> {
        long t0 = System.nanoTime();
        failsAtTheBound(bounded.start(held, "AN-SP-2026-000009-1", "true").toCompletableFuture(), t0);
        get(bounded.start(pipeline(server.knownHosts, server.clientKey), "AN-SP-2026-000009-2", "true"), BOUND);
      });
    } finally {
      // The held commands are ours: end them by the pids they wrote.
      if (Files.exists(pids)) {
        for (String pid : Files.readAllLines(pids)) ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroy);
      }
    }
  }

  @Test
  void aHostThatStopsAnsweringOnAnOpenConnectionFailsTheStartAtTheBoundAndIsReconnectedOnceItAnswers() throws Exception {
    try (Tunnel link = new Tunnel(server.port)) {
      Path knownHosts = Files.writeString(dir.resolve("tunnel_known_hosts"),
          "[127.0.0.1]:" + link.port + " " + Files.readString(dir.resolve("host_key.pub")).trim() + "\n");
      Pipeline far = pipeline(link.port, knownHosts, server.clientKey);
      withTwoThreads(bounded -> {
        get(bounded.start(far, "AN-SP-2026-000011-1", "sleep 60"), BOUND); // the connection is open and answers
        link.freeze();
        long t0 = System.nanoTime();
        failsAtTheBound(bounded.start(far, "AN-SP-2026-000011-2", "sleep 60").toCompletableFuture(), t0);
        get(bounded.start(pipeline(server.knownHosts, server.clientKey), "AN-SP-2026-000011-3", "sleep 60"), BOUND);
        link.thaw();
        get(bounded.start(far, "AN-SP-2026-000011-4", "sleep 60"), BOUND);
        for (int i = 1; i <= 4; i++) get(bounded.kill(far, "AN-SP-2026-000011-" + i), BOUND);
      });
    }
  }

  static <T> T get(java.util.concurrent.CompletionStage<T> stage, Duration within) {
    try {
      return stage.toCompletableFuture().get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("not done within " + within, e);
    }
  }

  @Test
  void startReturnsWhileTheCommandRunsOnAndARepeatedStartDoesNotRunItTwice() throws Exception {
    Pipeline p = pipeline(server.knownHosts, server.clientKey);
    Path counter = dir.resolve("runs");
    Path gate = dir.resolve("gate");
    String command = "echo run >> " + Shell.quote(counter.toString()) + "; while [ ! -e " + Shell.quote(gate.toString()) + " ]; do sleep 0.05; done";
    // The command waits for a gate nobody opens: start returning at all shows it does not wait for the pipeline.
    remote.start(p, "AN-SP-2026-000001-1", command).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(server.hasSession("AN-SP-2026-000001-1"), "the session runs on after the SSH call returned");

    remote.start(p, "AN-SP-2026-000001-1", command).toCompletableFuture().get(10, TimeUnit.SECONDS);
    remote.kill(p, "AN-SP-2026-000001-1").toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertFalse(server.hasSession("AN-SP-2026-000001-1"));
    assertEquals(List.of("run"), Files.readAllLines(counter), "a repeated start found the running session");
    // Killing what is already gone is done, not an error.
    remote.kill(p, "AN-SP-2026-000001-1").toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void manyConcurrentStartsToOneHostShareItsConnectionAndAllGetThrough() throws Exception {
    Pipeline p = pipeline(server.knownHosts, server.clientKey);
    SshRemoteHost fresh = new SshRemoteHost(io, Duration.ofSeconds(10)); // no connection yet, so the first callers race to open it
    try {
      List<String> sessions = IntStream.range(0, 40).mapToObj(i -> "AN-SP-2026-000010-" + (i + 1)).toList();
      var starts = sessions.stream().map(s -> fresh.start(p, s, "sleep 60").toCompletableFuture()).toList();
      CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      for (String s : sessions) assertTrue(server.hasSession(s), s);
      var kills = sessions.stream().map(s -> fresh.kill(p, s).toCompletableFuture()).toList();
      CompletableFuture.allOf(kills.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      for (String s : sessions) assertFalse(server.hasSession(s), s);
    } finally {
      fresh.close();
    }
  }

  @Test
  void afterCloseEveryStartFailsAtOnceAndOpensNoConnection() throws Exception {
    Pipeline p = pipeline(server.knownHosts, server.clientKey);
    AtomicInteger ioTasks = new AtomicInteger();
    SshRemoteHost closing = new SshRemoteHost(task -> {
      ioTasks.incrementAndGet();
      io.execute(task);
    }, BOUND);
    get(closing.start(p, "AN-SP-2026-000012-1", "sleep 60"), BOUND);
    closing.close(); // the node shuts down while analyses still dispatch
    ioTasks.set(0);
    var late = closing.start(p, "AN-SP-2026-000012-2", "sleep 60").toCompletableFuture();
    assertTrue(late.isCompletedExceptionally(), "failed before start returned");
    var failed = assertThrows(ExecutionException.class, late::get);
    assertTrue(failed.getCause().getMessage().contains("shutting down"), failed.getCause().getMessage());
    assertEquals(0, ioTasks.get(), "nothing ran on the I/O threads: no connection was opened");
    assertFalse(server.hasSession("AN-SP-2026-000012-2"));
    get(remote.kill(p, "AN-SP-2026-000012-1"), BOUND);
  }

  @Test
  void killMatchesTheExactSessionNameNotAPrefix() throws Exception {
    Pipeline p = pipeline(server.knownHosts, server.clientKey);
    remote.start(p, "AN-SP-2026-000002-12", "sleep 60").toCompletableFuture().get(10, TimeUnit.SECONDS);
    remote.kill(p, "AN-SP-2026-000002-1").toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(server.hasSession("AN-SP-2026-000002-12"));
    remote.kill(p, "AN-SP-2026-000002-12").toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void anUnknownOrChangedHostKeyIsRefused() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty_known_hosts"), "");
    Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("impostor").toString()).start();
    assertEquals(0, keygen.waitFor());
    Path changed = Files.writeString(dir.resolve("changed_known_hosts"),
        "[127.0.0.1]:" + server.port + " " + Files.readString(dir.resolve("impostor.pub")).trim() + "\n");
    for (Path knownHosts : List.of(empty, changed)) {
      var refused = assertThrows(ExecutionException.class, () ->
          remote.start(pipeline(knownHosts, server.clientKey), "AN-SP-2026-000003-1", "true").toCompletableFuture().get(10, TimeUnit.SECONDS));
      assertTrue(refused.getCause().getMessage().toLowerCase().contains("host key"), refused.getCause().getMessage());
      assertFalse(server.hasSession("AN-SP-2026-000003-1"));
    }
  }

  @Test
  void aKeyTheServerDoesNotKnowIsRefused() throws Exception {
    Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("stranger").toString()).start();
    assertEquals(0, keygen.waitFor());
    var refused = assertThrows(ExecutionException.class, () -> remote.start(pipeline(server.knownHosts, dir.resolve("stranger")),
        "AN-SP-2026-000004-1", "true").toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertTrue(refused.getCause().getMessage().toLowerCase().contains("auth"), refused.getCause().getMessage());
  }

  @Test
  void aQuotedValueReachesTheCommandAsOneLiteralWordThroughSshAndTmux() throws Exception {
    Pipeline p = pipeline(server.knownHosts, server.clientKey);
    Path out = dir.resolve("echoed");
    String hostile = "a'b; touch " + dir.resolve("pwned") + " $(id) `id` \"q\" \\ \n end";
    String command = "printf %s " + Shell.quote(hostile) + " > " + Shell.quote(out.toString());
    remote.start(p, "AN-SP-2026-000005-1", command).toCompletableFuture().get(10, TimeUnit.SECONDS);
    Await.until(Duration.ofSeconds(10), "the command ran", () -> Files.exists(out) && !server.hasSession("AN-SP-2026-000005-1"));
    assertEquals(hostile, Files.readString(out, StandardCharsets.UTF_8));
    assertFalse(Files.exists(dir.resolve("pwned")));
  }

  @Test
  void theCommandTemplateQuotesEveryValueAndRefusesParametersOutsideThePattern() throws Exception {
    CommandTemplate t = CommandTemplate.parse("run.sh --id {analysis_id} --genome {param:genome} --out {result_dir}");
    String rendered = t.render("AN-SP-2026-000006-1", "SP-2026-000006", "LAB-X", "/results/AN-SP-2026-000006-1", Map.of("genome", "GRCh38"));
    assertEquals("run.sh --id 'AN-SP-2026-000006-1' --genome 'GRCh38' --out '/results/AN-SP-2026-000006-1'", rendered);
    for (String hostile : List.of("x; rm -rf /", "$(id)", "`id`", "a'b", "a\"b", "line\nbreak", "a b")) {
      assertTrue(t.check(Map.of("genome", hostile)).isPresent(), hostile);
      assertThrows(IllegalArgumentException.class, () -> t.render("AN-SP-2026-000006-1", "SP-2026-000006", "B", "/r", Map.of("genome", hostile)));
    }
    assertTrue(t.check(Map.of()).isPresent(), "a missing parameter is refused");
    assertTrue(t.check(Map.of("genome", "g", "extra", "x")).isPresent(), "an unknown parameter is refused");
    assertThrows(IllegalArgumentException.class, () -> CommandTemplate.parse("run {unknown}"));
    // Every quoted value is one literal word to a real shell.
    for (String value : List.of("plain", "a'b", "$(id)", "`id`", "\"q\"", "line\nbreak", "\\", "'", "''", "")) {
      Process sh = new ProcessBuilder("sh", "-c", "printf %s " + Shell.quote(value)).start();
      assertEquals(value, new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      assertEquals(0, sh.waitFor());
    }
  }
}
