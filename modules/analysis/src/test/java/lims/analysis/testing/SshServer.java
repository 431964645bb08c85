package lims.analysis.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real OpenSSH server on a loopback port, with a generated host key and one authorized
 * client key, for the current user; and tmux on the same machine, on a socket of its own.
 * Needs {@code sshd}, {@code ssh-keygen} and {@code tmux} (the test command installs them):
 * without them a local run skips, a CI run fails.
 *
 * <p>Nothing of the machine's own SSH or shell set-up is used: the keys and configuration
 * live in the test's folder, and the sessions' {@code HOME} is a folder of it too, so the
 * account's shell start-up files do not run. They would on every command (bash sources
 * {@code ~/.bashrc} for sshd), and one that takes seconds — a {@code pyenv init} that
 * rehashes under a lock every concurrent session queues on — made the tests depend on the
 * developer's dotfiles.
 */
public final class SshServer implements AutoCloseable {

  public static final Path SSHD = Path.of("/usr/sbin/sshd");

  public final Path dir;
  public final int port;
  public final Path clientKey;
  public final Path knownHosts;
  public final String user = System.getProperty("user.name");
  /** tmux -L socket of this server's sessions; killed on close. */
  public final String tmuxSocket = "lims-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final Process sshd;
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());

  private SshServer(Path dir, List<String> config) throws IOException, InterruptedException {
    this.dir = dir;
    Path home = Files.createDirectories(dir.resolve("home"));
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host_key").toString());
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("id_ed25519").toString());
    this.clientKey = dir.resolve("id_ed25519");
    Files.copy(dir.resolve("id_ed25519.pub"), dir.resolve("authorized_keys"));
    Files.setPosixFilePermissions(dir.resolve("authorized_keys"), PosixFilePermissions.fromString("rw-------"));
    this.port = freePort();
    Files.writeString(dir.resolve("sshd_config"), String.join("\n",
        "Port " + port,
        "ListenAddress 127.0.0.1",
        "HostKey " + dir.resolve("host_key"),
        "PidFile " + dir.resolve("sshd.pid"),
        "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "StrictModes no",
        "UsePAM no",
        "MaxSessions 100",
        "MaxStartups 100",
        "SetEnv HOME=" + home,
        String.join("\n", config),
        ""));
    this.knownHosts = dir.resolve("known_hosts");
    String hostKey = Files.readString(dir.resolve("host_key.pub")).trim();
    Files.writeString(knownHosts, "[127.0.0.1]:" + port + " " + hostKey + "\n");
    if (isRoot()) Files.createDirectories(Path.of("/run/sshd")); // privilege separation directory
    this.sshd = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString()).redirectErrorStream(true).start();
    awaitListening();
  }

  /**
   * Starts a server in {@code dir}, with {@code config} as further sshd_config lines; skips the
   * test when OpenSSH or tmux is missing on a developer machine.
   */
  public static SshServer start(Path dir, String... config) {
    boolean present = Files.isExecutable(SSHD) && onPath("ssh-keygen") && onPath("tmux");
    if (!present) {
      String missing = "sshd, ssh-keygen or tmux is not installed (the test command installs openssh-server and tmux)";
      if (System.getenv("CI") != null) throw new IllegalStateException(missing);
      Assumptions.abort(missing);
    }
    try {
      return new SshServer(dir, List.of(config));
    } catch (IOException e) {
      throw new IllegalStateException("sshd did not start", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Pipeline settings (under lims.analysis.pipelines.NAME) that reach this server. */
  public Map<String, Object> pipeline(String name, String command, Path results, String timeLimit) {
    String at = "lims.analysis.pipelines." + name + ".";
    Map<String, Object> p = new HashMap<>();
    p.put(at + "host", "127.0.0.1");
    p.put(at + "port", port);
    p.put(at + "user", user);
    p.put(at + "private-key", clientKey.toString());
    p.put(at + "known-hosts", knownHosts.toString());
    p.put(at + "command", command);
    p.put(at + "results", results.toString());
    p.put(at + "time-limit", timeLimit);
    p.put(at + "tmux-socket", tmuxSocket);
    return p;
  }

  /** Whether tmux on this host has a session of exactly this name (on this server's socket). */
  public boolean hasSession(String name) {
    return hasSession(tmuxSocket, name);
  }

  public boolean hasSession(String socket, String name) {
    try {
      return new ProcessBuilder("tmux", "-L", socket, "has-session", "-t", "=" + name).start().waitFor() == 0;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public List<String> log() {
    return List.copyOf(log);
  }

  private void awaitListening() throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(sshd.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      log.add(line);
      if (line.contains("Server listening on 127.0.0.1 port " + port)) break;
    }
    if (line == null) throw new IOException("sshd exited: " + log);
    Thread drain = new Thread(() -> {
      try {
        for (String l; (l = out.readLine()) != null; ) log.add(l);
      } catch (IOException e) {
        // sshd stopped
      }
    }, "sshd-log");
    drain.setDaemon(true);
    drain.start();
  }

  /**
   * Ends the tmux servers of this server's socket and of sockets named after it
   * ({@code <socket>-...}), and removes the socket files, which tmux leaves behind.
   */
  @Override
  public void close() throws Exception {
    Path sockets = Path.of(System.getenv().getOrDefault("TMUX_TMPDIR", "/tmp"), "tmux-" + uid());
    List<String> names = new ArrayList<>(List.of(tmuxSocket));
    if (Files.isDirectory(sockets)) {
      try (var list = Files.list(sockets)) {
        list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(tmuxSocket + "-")).forEach(names::add);
      }
    }
    for (String socket : names) {
      new ProcessBuilder("tmux", "-L", socket, "kill-server").start().waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(sockets.resolve(socket));
    }
    sshd.destroy();
    sshd.waitFor(10, TimeUnit.SECONDS);
  }

  private static String uid() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("id", "-u").start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor();
    return out;
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) return true;
    }
    return false;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + " failed: " + out);
  }
}
