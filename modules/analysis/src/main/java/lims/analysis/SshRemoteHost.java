package lims.analysis;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.IOUtils;
import net.schmizz.sshj.connection.channel.direct.Session;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tmux on the pipeline's host over SSH (sshj). Key authentication only; the host key
 * must be in the pipeline's known-hosts file, so an unknown or changed key refuses the
 * connection. Each call opens a session, runs one short tmux command and closes it: the
 * pipeline lives in tmux, not in an SSH session. One connection per host is kept and
 * reused, and replaced once it is dead or dropped.
 *
 * <p>Every step is bounded by {@code timeout}: opening a host's connection (TCP connect,
 * the server's banner, key exchange, authentication) is one step, running one command
 * (channel, exec, its output to the end, its exit status) another. A step past its bound is
 * abandoned: the caller gets a {@link RemoteFailure} (the analysis retries), and the
 * connection is dropped, socket first, which wakes the thread blocked on it. The blocking
 * work runs on {@code executor} (the analysis I/O dispatcher); callers waiting for a
 * connection that is being opened wait without a thread, so a host that does not answer
 * holds one thread while connecting, and the threads of its running commands only until
 * the first of them is abandoned: starts to other hosts still find threads.
 *
 * <p>Once {@link #close() closed} (the node is shutting down), every call fails at once and
 * no connection is opened.
 */
public final class SshRemoteHost implements RemoteHost {

  private static final Logger log = LoggerFactory.getLogger(SshRemoteHost.class);

  /** Abandons steps past their bound; it only closes sockets, never waits, so one thread serves every instance. */
  private static final ScheduledExecutorService WATCHDOG = watchdog();
  private static final String CLOSED = "closed: the node is shutting down";

  private final Executor executor;
  private final Duration timeout;
  /** Per host: its connection, or the opening of it that callers wait for. */
  private final Map<String, CompletableFuture<SSHClient>> connections = new ConcurrentHashMap<>();
  private volatile boolean closed;

  public SshRemoteHost(Executor executor, Duration timeout) {
    this.executor = executor;
    this.timeout = timeout;
  }

  @Override
  public CompletionStage<Done> start(Pipeline pipeline, String session, String command) {
    // tmux prints the new session's id ($N) once the session exists; "duplicate session" means an earlier try made it.
    return run(pipeline, Shell.tmuxStart(pipeline.tmuxSocket(), session, command), (exit, out, err) ->
        exit == 0 && out.strip().startsWith("$") || err.contains("duplicate session"));
  }

  @Override
  public CompletionStage<Done> kill(Pipeline pipeline, String session) {
    return run(pipeline, Shell.tmuxKill(pipeline.tmuxSocket(), session), (exit, out, err) ->
        exit == 0 || err.contains("can't find session") || err.contains("no server running") || err.contains("error connecting"));
  }

  private interface Outcome {
    boolean succeeded(int exit, String stdout, String stderr);
  }

  private CompletionStage<Done> run(Pipeline pipeline, String line, Outcome outcome) {
    String key = key(pipeline);
    return connection(key, pipeline)
        .thenCompose(ssh -> bounded("running tmux", () -> exec(key, ssh, line), () -> drop(key, ssh)))
        .handle((r, error) -> {
          if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            throw new RemoteFailure(pipeline.user() + "@" + pipeline.host() + ":" + pipeline.port() + ": " + describe(cause));
          }
          if (!outcome.succeeded(r.exit, r.stdout, r.stderr)) {
            throw new RemoteFailure("exit " + r.exit + " from " + pipeline.host() + ": " + firstLine(r.stderr));
          }
          return Done.getInstance();
        });
  }

  private record Result(int exit, String stdout, String stderr) {}

  /** Runs one command; reads its output to the end, so a command that keeps it open is abandoned at the bound. */
  private Result exec(String key, SSHClient ssh, String line) throws IOException {
    try (Session session = ssh.startSession()) {
      Session.Command cmd = session.exec(line);
      String stdout = IOUtils.readFully(cmd.getInputStream()).toString();
      String stderr = IOUtils.readFully(cmd.getErrorStream()).toString();
      cmd.join(2 * timeout.toMillis(), TimeUnit.MILLISECONDS);
      Integer exit = cmd.getExitStatus();
      if (exit == null) throw new IOException("no exit status");
      return new Result(exit, stdout, stderr);
    } catch (IOException e) {
      // A refused channel (the host's MaxSessions) leaves the connection usable for the others; a dead one is replaced.
      if (!ssh.isConnected()) drop(key, ssh);
      throw e;
    }
  }

  /**
   * Runs {@code work} on the I/O executor. If it has not finished {@code timeout} after it
   * began, the caller gets a failure and {@code abandon} drops the connection it is blocked
   * on; a result that comes later is dropped the same way, since its caller has been told it failed.
   */
  private <T> CompletableFuture<T> bounded(String step, Callable<T> work, Runnable abandon) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable task = () -> {
      ScheduledFuture<?> watch = WATCHDOG.schedule(() -> {
        if (result.completeExceptionally(new TimeoutException("no answer within " + timeout.toMillis() + " ms while " + step))) abandon.run();
      }, timeout.toNanos(), TimeUnit.NANOSECONDS);
      try {
        T value = work.call();
        if (!result.complete(value)) abandon.run();
      } catch (Throwable e) {
        result.completeExceptionally(e);
      } finally {
        watch.cancel(false);
      }
    };
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(e);
    }
    return result;
  }

  private static String key(Pipeline p) {
    return p.user() + "@" + p.host() + ":" + p.port() + "|" + p.privateKey() + "|" + p.knownHosts();
  }

  /** The host's shared connection; the first caller to find none opens it, the others wait for that opening without a thread. */
  private CompletableFuture<SSHClient> connection(String key, Pipeline p) {
    if (closed) return CompletableFuture.failedFuture(new IOException(CLOSED));
    CompletableFuture<SSHClient> opening = new CompletableFuture<>();
    SSHClient[] dead = {null};
    CompletableFuture<SSHClient> current = connections.compute(key, (k, existing) -> {
      if (existing == null) return opening;
      SSHClient ssh = opened(existing);
      if (!existing.isDone() || ssh != null && ssh.isConnected() && ssh.isAuthenticated()) return existing;
      dead[0] = ssh;
      return opening;
    });
    if (dead[0] != null) hardClose(dead[0]);
    if (current == opening) {
      // Made on the I/O thread (the first one loads sshj's crypto); abandoning closes it once it exists.
      AtomicReference<SSHClient> client = new AtomicReference<>();
      bounded("connecting", () -> connect(client, p), () -> {
        SSHClient ssh = client.get();
        if (ssh != null) hardClose(ssh);
      }).whenComplete((connected, error) -> {
        if (error == null) {
          opening.complete(connected);
        } else {
          connections.remove(key, opening);
          opening.completeExceptionally(error);
        }
      });
    }
    return current;
  }

  private SSHClient connect(AtomicReference<SSHClient> client, Pipeline p) throws IOException {
    SSHClient ssh = new SSHClient();
    client.set(ssh);
    // sshj's own bounds only back the watchdog up (sshj has none on reading a command's output):
    // twice the step's, so that the watchdog always comes first and drops the connection.
    int backstop = (int) Math.min(Integer.MAX_VALUE, 2 * timeout.toMillis());
    ssh.setConnectTimeout(backstop); // TCP connect
    ssh.setTimeout(backstop); // each socket read, such as the server's banner
    ssh.getTransport().setTimeoutMs(backstop); // key exchange, authentication
    ssh.getConnection().setTimeoutMs(backstop); // opening, requesting and closing a channel
    try {
      ssh.loadKnownHosts(p.knownHosts().toFile());
      ssh.connect(p.host(), p.port());
      ssh.authPublickey(p.user(), ssh.loadKeys(p.privateKey().toString()));
      // close() may have gone through the connections before this one was registered: it is closed here instead.
      if (closed) throw new IOException(CLOSED);
      return ssh;
    } catch (IOException | RuntimeException e) {
      hardClose(ssh);
      throw e instanceof IOException io ? io : new IOException(e);
    }
  }

  private static SSHClient opened(CompletableFuture<SSHClient> connection) {
    return connection.isDone() && !connection.isCompletedExceptionally() ? connection.join() : null;
  }

  private void drop(String key, SSHClient broken) {
    connections.computeIfPresent(key, (k, c) -> opened(c) == broken ? null : c);
    hardClose(broken);
  }

  /**
   * Drops a connection without waiting: closes its socket here, which wakes every thread
   * blocked on the connection at once, and leaves sshj's own close to an I/O thread. That
   * close sends a disconnect message under the connection's write lock, which a command
   * waiting for a key re-exchange holds until sshj's back-stop: the watchdog, which serves
   * every host, and the shutdown must not wait for it.
   */
  private void hardClose(SSHClient ssh) {
    IOUtils.closeQuietly(ssh.getSocket());
    Runnable release = () -> IOUtils.closeQuietly(ssh);
    try {
      executor.execute(release);
    } catch (RejectedExecutionException e) {
      // The I/O dispatcher has stopped (the node is going down): a thread of its own, so the caller still does not wait.
      Thread t = new Thread(release, "ssh-close");
      t.setDaemon(true);
      t.start();
    }
  }

  /** Closes every connection, one still being opened once it opens; later calls fail at once and open none. */
  public void close() {
    closed = true;
    for (String key : connections.keySet()) {
      CompletableFuture<SSHClient> c = connections.remove(key);
      if (c != null) c.thenAccept(this::hardClose);
    }
  }

  private static ScheduledExecutorService watchdog() {
    ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "ssh-watchdog");
      t.setDaemon(true);
      return t;
    });
    w.setRemoveOnCancelPolicy(true);
    return w;
  }

  private static String describe(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null && s.length() < 400; t = t.getCause()) {
      if (s.length() > 0) s.append(": ");
      s.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }
    return s.toString();
  }

  private static String firstLine(String s) {
    String trimmed = s.strip();
    int nl = trimmed.indexOf('\n');
    return nl < 0 ? trimmed : trimmed.substring(0, nl);
  }

  /** A start or kill that did not get through; its message says why, for the analysis's log. */
  public static final class RemoteFailure extends RuntimeException {
    RemoteFailure(String message) {
      super(message, null, false, false);
      log.debug("remote failure: {}", message);
    }
  }
}
