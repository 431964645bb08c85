package lims.bench.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of its own in a temporary folder, for a harness that stops and starts
 * its database (the shared test server must never be stopped). The same server as the
 * launcher's {@code start_postgres}: user {@code lims} with trust authentication on
 * 127.0.0.1, database {@code postgres}. Run as user {@code postgres} when this JVM is root,
 * as PostgreSQL refuses to run as root.
 */
public final class PrivatePostgres implements AutoCloseable {

  private static final Duration COMMAND_BOUND = Duration.ofSeconds(90);

  private final Path bin;
  private final Path dir;
  private final int port;
  private final String options;
  private final boolean asPostgres;
  private boolean running;

  private PrivatePostgres(Path bin, Path dir, int port, String options, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.options = options;
    this.asPostgres = asPostgres;
  }

  /** The newest installed server's binaries (Debian's /usr/lib/postgresql/N/bin), if any. */
  public static Optional<Path> binaries() {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) return Optional.empty();
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(b -> versionOf(b.getParent().getFileName().toString())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int versionOf(String name) {
    return name.matches("\\d+") ? Integer.parseInt(name) : 0;
  }

  /**
   * Creates and starts a server on a free port.
   *
   * @param durable fsync and synchronous commit on, as in production; off for a throwaway test server
   */
  public static PrivatePostgres start(Path bin, boolean durable) {
    try {
      boolean root = "root".equals(System.getProperty("user.name"));
      Path dir = Files.createTempDirectory("lims-pg");
      if (root) Files.setOwner(dir, FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
      String durability = durable ? "-c fsync=on -c synchronous_commit=on" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
      int port = LaunchedNode.freePort();
      String options = "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c max_connections=300 " + durability;
      PrivatePostgres server = new PrivatePostgres(bin, dir, port, options, root);
      server.run(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "lims", "-A", "trust", "-E", "UTF8", "--no-locale"));
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String url() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  public String user() {
    return "lims";
  }

  public int port() {
    return port;
  }

  /** Starts the stopped server again, on the same port and data. */
  public synchronized void start() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l", dir.resolve("server.log").toString(),
        "-w", "-t", "60", "-o", options, "start"));
    running = true;
  }

  /** A fast shutdown: open sessions are ended, as when an operator stops the service. */
  public synchronized void stop() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "-t", "60", "stop"));
    running = false;
  }

  private void run(List<String> command) {
    List<String> full = new ArrayList<>();
    if (asPostgres) full.addAll(List.of("runuser", "-u", "postgres", "--"));
    full.addAll(command);
    try {
      Path output = Files.createTempFile("lims-pg-command", ".txt");
      try {
        Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(COMMAND_BOUND.toSeconds(), TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new IllegalStateException(String.join(" ", full) + " did not end within " + COMMAND_BOUND.toSeconds() + " s");
        }
        if (process.exitValue() != 0) {
          throw new IllegalStateException(String.join(" ", full) + " failed (" + process.exitValue() + "): "
              + Files.readString(output, StandardCharsets.UTF_8) + serverLog());
        }
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private String serverLog() {
    try {
      Path log = dir.resolve("server.log");
      return Files.exists(log) ? "\nserver log:\n" + Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** Stops the server if it runs and deletes its folder. */
  @Override
  public synchronized void close() {
    try {
      if (running) stop();
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
