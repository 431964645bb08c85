package lims.bench.cluster;

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
 * and its lib folder on the class path of a JVM of its own, {@code lims.http.Main MODE ARGS}.
 * Its console (standard output and error) is appended to a file, so a restarted node's
 * incarnations follow each other there. The jar and lib folder come from the system
 * properties {@code lims.node.jar} and {@code lims.node.lib} (the acceptance module's pom and
 * {@code ./lims chaos} set them).
 */
public final class LaunchedNode implements AutoCloseable {

  /** How long a node may take to come up on a loaded two-core machine. */
  public static final Duration START_BOUND = Duration.ofMinutes(3);
  /** How long a node may take to stop after SIGTERM (its coordinated shutdown is bounded well within it). */
  public static final Duration STOP_BOUND = Duration.ofSeconds(90);

  private final Process process;
  private final Path console;
  /** Where this incarnation's output starts in the console file. */
  private final long consoleStart;

  private LaunchedNode(Process process, Path console, long consoleStart) {
    this.process = process;
    this.console = console;
    this.consoleStart = consoleStart;
  }

  /**
   * @param env variables for the node; every LIMS_* of this JVM is left out, as on a newcomer's machine
   * @param javaOptions JVM flags, as {@code LIMS_JAVA_OPTS} gives them to the launcher's java
   */
  public static LaunchedNode start(Path console, Map<String, String> env, List<String> javaOptions, List<String> mainArgs) {
    Path jar = Path.of(System.getProperty("lims.node.jar", "lims.node.jar is not set"));
    Path lib = Path.of(System.getProperty("lims.node.lib", "lims.node.lib is not set"));
    if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) {
      throw new IllegalStateException("no packaged node at " + jar + " and " + lib + ": http-api's package phase makes them (mvn verify or install)");
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(javaOptions);
    command.addAll(List.of("-cp", jar + ":" + lib + "/*", "lims.http.Main"));
    command.addAll(mainArgs);
    try {
      Files.createDirectories(console.toAbsolutePath().getParent());
      long start = Files.exists(console) ? Files.size(console) : 0;
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()));
      builder.environment().keySet().removeIf(k -> k.startsWith("LIMS_"));
      builder.environment().putAll(env);
      return new LaunchedNode(builder.start(), console, start);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit status of a process that ended. */
  public int exitCode() {
    return process.exitValue();
  }

  /** What the console showed since this incarnation started. */
  public String console() {
    try {
      byte[] all = Files.readAllBytes(console);
      return new String(all, (int) Math.min(consoleStart, all.length), (int) Math.max(0, all.length - consoleStart), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first group of {@code pattern} once the console shows it; fails when the node exits first or the bound passes. */
  public String awaitConsole(Pattern pattern, Duration bound) {
    String[] found = new String[1];
    Await.until(bound, () -> "the console to show " + pattern + "; it shows:\n" + tail(console(), 4000), () -> {
      Matcher m = pattern.matcher(console());
      if (m.find()) {
        found[0] = m.group(1);
        return true;
      }
      if (!process.isAlive()) throw new AssertionError("the node exited (" + process.exitValue() + ") before " + pattern + ":\n" + tail(console(), 4000));
      return false;
    });
    return found[0];
  }

  /** SIGTERM, as a service manager stops it; returns the exit code. */
  public int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(STOP_BOUND.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the node did not stop within " + STOP_BOUND.toSeconds() + " s of SIGTERM");
    }
    return process.exitValue();
  }

  /** SIGKILL: the process ends at once, without its shutdown hook (a crash). */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the node did not end within 30 s of SIGKILL");
  }

  /** SIGSTOP: the process is frozen (a long GC pause, a suspended VM) until {@link #resume}. */
  public void pause() {
    signal("-STOP");
  }

  /** SIGCONT after {@link #pause}. */
  public void resume() {
    signal("-CONT");
  }

  /** Whether the process ended within {@code bound}. */
  public boolean awaitExit(Duration bound) throws InterruptedException {
    return process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).redirectErrorStream(true).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed: " + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String tail(String text, int chars) {
    return text.length() <= chars ? text : "..." + text.substring(text.length() - chars);
  }

  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) return;
    try {
      resume(); // a paused process would not act on the SIGTERM until then
    } catch (IllegalStateException ended) {
      return; // it ended meanwhile
    }
    stop();
  }
}
