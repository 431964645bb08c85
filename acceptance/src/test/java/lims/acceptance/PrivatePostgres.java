package lims.acceptance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL server of the test's own, in a temporary folder, that the test stops and starts
 * (the shared one of ./lims test serves every other test and is never stopped). As root, the
 * server runs as the user postgres, as ./lims does. Without PostgreSQL's programs a test using
 * it is skipped on a developer's machine and fails in CI (CI is set there).
 */
final class PrivatePostgres implements AutoCloseable {

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgres;

  private PrivatePostgres(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /** A new server, initialised and started, with a user lims (no password) owning the database postgres. */
  static PrivatePostgres start() throws Exception {
    Optional<Path> bin = binaries();
    if (bin.isEmpty()) {
      if (System.getenv("CI") != null) throw new AssertionError("CI is set but no PostgreSQL programs are in /usr/lib/postgresql/*/bin");
      Assumptions.abort("no PostgreSQL programs (initdb, pg_ctl) in /usr/lib/postgresql/*/bin");
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("lims-private-pg");
    PrivatePostgres pg = new PrivatePostgres(bin.get(), dir, LaunchedNode.freePort(), root);
    if (root) pg.run(List.of("chown", "postgres", dir.toString()), false);
    pg.run(List.of(bin.get().resolve("initdb").toString(), "-D", pg.data(), "-U", "lims", "-A", "trust", "-E", "UTF8", "--no-locale"), true);
    pg.resume();
    return pg;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?reWriteBatchedInserts=true";
  }

  /** Starts the server (again), returning once it accepts connections. */
  void resume() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60", "start",
        "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"), true);
  }

  /** Stops the server as an operator does ({@code pg_ctl stop -m fast}): sessions are ended, then it exits. */
  void stop() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-m", "fast", "-w", "-t", "60", "stop"), true);
  }

  @Override
  public void close() throws IOException {
    if (Files.exists(dir.resolve("data/postmaster.pid"))) stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private String data() {
    return dir.resolve("data").toString();
  }

  private void run(List<String> command, boolean asServerUser) {
    List<String> full = new ArrayList<>();
    if (asServerUser && asPostgres) full.addAll(List.of("runuser", "-u", "postgres", "--"));
    full.addAll(command);
    Path output = dir.resolve("commands.log");
    try {
      Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
      if (!process.waitFor(90, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(String.join(" ", full) + " did not end within 90 s");
      }
      if (process.exitValue() != 0) {
        throw new AssertionError(String.join(" ", full) + " failed (" + process.exitValue() + "):\n" + Files.readString(output, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + full);
    }
  }

  /** The newest PostgreSQL's programs folder. */
  private static Optional<Path> binaries() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) return Optional.empty();
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(b -> versionOf(b)));
    }
  }

  private static int versionOf(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
