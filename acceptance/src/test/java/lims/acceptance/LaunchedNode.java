package lims.acceptance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The product as {@code ./lims run} and {@code ./lims node} start it: http-api's packaged jar
 * and target/lib on the class path of a JVM of its own, {@code lims.http.Main MODE ARGS}. Its
 * console (standard output and error) goes to a file under target/acceptance.
 */
final class LaunchedNode implements AutoCloseable {

  /** How long a node may take to come up on a loaded two-core machine. */
  static final Duration START_BOUND = Duration.ofMinutes(3);

  private final Process process;
  private final Path console;

  private LaunchedNode(Process process, Path console) {
    this.process = process;
    this.console = console;
  }

  /** @param env variables for the node; every LIMS_* of this JVM is left out, as on a newcomer's machine */
  static LaunchedNode start(String name, Map<String, String> env, List<String> mainArgs) {
    Path jar = Path.of(System.getProperty("lims.node.jar"));
    Path lib = Path.of(System.getProperty("lims.node.lib"));
    assertTrue(Files.isRegularFile(jar) && Files.isDirectory(lib), "no packaged node at " + jar + " and " + lib
        + ": these tests run after http-api's package phase (mvn verify or install)");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", jar + ":" + lib + "/*", "lims.http.Main"));
    command.addAll(mainArgs);
    try {
      Path dir = Files.createDirectories(workDir());
      Path console = dir.resolve(name + "-console.txt");
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(console.toFile());
      builder.environment().keySet().removeIf(k -> k.startsWith("LIMS_"));
      builder.environment().putAll(env);
      return new LaunchedNode(builder.start(), console);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What a cluster node needs in its environment: the database password, a JWT key of its own, the first admin's password. */
  static Map<String, String> clusterEnv(String databasePassword, String adminPassword) {
    return Map.of("LIMS_DB_PASSWORD", databasePassword, "LIMS_JWT_SECRET", java.util.UUID.randomUUID() + "-" + java.util.UUID.randomUUID(),
        "LIMS_ADMIN_PASSWORD", adminPassword);
  }

  static Path workDir() {
    return Path.of(System.getProperty("lims.acceptance.dir", "target/acceptance"));
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Everything the console showed so far. */
  String console() {
    try {
      return Files.readString(console, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first group of {@code pattern} once the console shows it; fails when the node exits first or the bound passes. */
  String awaitConsole(Pattern pattern, Duration bound) {
    String[] found = new String[1];
    Await.until(bound, () -> "the console to show " + pattern + "; it shows:\n" + console(), () -> {
      Matcher m = pattern.matcher(console());
      if (m.find()) {
        found[0] = m.group(1);
        return true;
      }
      if (!process.isAlive()) throw new AssertionError("the node exited (" + process.exitValue() + ") before " + pattern + ":\n" + console());
      return false;
    });
    return found[0];
  }

  /** SIGTERM, as a service manager stops it; returns the exit code. */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the node did not stop within 90 s of SIGTERM");
    }
    return process.exitValue();
  }

  /** SIGKILL: the node dies mid-work, as in a crash or an out-of-memory kill. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the node did not die within 30 s of SIGKILL");
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) stop();
  }
}
