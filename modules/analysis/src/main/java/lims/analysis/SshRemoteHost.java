package lims.analysis;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
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
 * reused, and dropped on any error. Everything blocking runs on {@code executor} (the
 * analysis I/O dispatcher).
 */
public final class SshRemoteHost implements RemoteHost {

  private static final Logger log = LoggerFactory.getLogger(SshRemoteHost.class);

  private final Executor executor;
  private final Duration timeout;
  private final Map<String, SSHClient> connections = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

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
    return CompletableFuture.supplyAsync(() -> {
      try {
        Result r = exec(pipeline, line);
        if (!outcome.succeeded(r.exit, r.stdout, r.stderr)) {
          throw new RemoteFailure("exit " + r.exit + " from " + pipeline.host() + ": " + firstLine(r.stderr));
        }
        return Done.getInstance();
      } catch (IOException e) {
        throw new RemoteFailure(pipeline.user() + "@" + pipeline.host() + ":" + pipeline.port() + ": " + describe(e));
      }
    }, executor);
  }

  private record Result(int exit, String stdout, String stderr) {}

  private Result exec(Pipeline pipeline, String line) throws IOException {
    String key = key(pipeline);
    SSHClient ssh = connection(key, pipeline);
    try (Session session = ssh.startSession()) {
      Session.Command cmd = session.exec(line);
      String stdout = IOUtils.readFully(cmd.getInputStream()).toString();
      String stderr = IOUtils.readFully(cmd.getErrorStream()).toString();
      cmd.join(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Integer exit = cmd.getExitStatus();
      if (exit == null) throw new IOException("no exit status within " + timeout);
      return new Result(exit, stdout, stderr);
    } catch (IOException e) {
      // A refused channel (the host's MaxSessions) leaves the connection usable for the others; a dead one is replaced.
      if (!ssh.isConnected()) drop(key, ssh);
      throw e;
    }
  }

  private static String key(Pipeline p) {
    return p.user() + "@" + p.host() + ":" + p.port() + "|" + p.privateKey() + "|" + p.knownHosts();
  }

  /** The host's shared connection; one caller at a time opens it, the others wait and reuse it. */
  private SSHClient connection(String key, Pipeline p) throws IOException {
    synchronized (locks.computeIfAbsent(key, k -> new Object())) {
      SSHClient existing = connections.get(key);
      if (existing != null && existing.isConnected() && existing.isAuthenticated()) return existing;
      if (existing != null) drop(key, existing);
      SSHClient ssh = new SSHClient();
      try {
        ssh.loadKnownHosts(p.knownHosts().toFile());
        ssh.setConnectTimeout((int) timeout.toMillis());
        ssh.setTimeout((int) timeout.toMillis());
        ssh.connect(p.host(), p.port());
        ssh.authPublickey(p.user(), ssh.loadKeys(p.privateKey().toString()));
      } catch (IOException | RuntimeException e) {
        IOUtils.closeQuietly(ssh);
        throw e instanceof IOException io ? io : new IOException(e);
      }
      connections.put(key, ssh);
      return ssh;
    }
  }

  private void drop(String key, SSHClient broken) {
    if (connections.remove(key, broken)) IOUtils.closeQuietly(broken);
  }

  public void close() {
    connections.values().forEach(IOUtils::closeQuietly);
    connections.clear();
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
