package lims.reporting;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the calling thread a smaller share of the CPU than the node's other threads, so that
 * a render uses what intake and review leave over instead of taking half of it. Java's
 * thread priorities do not do this on Linux: the JVM ignores them there unless started with
 * {@code -XX:ThreadPriorityPolicy=1}, which needs root. The Linux scheduler keeps a nice
 * value per thread, and any thread may raise its own (lower its priority) without privileges,
 * so the render thread runs {@code renice} on its own thread id (from /proc/thread-self).
 * Where that is not possible (another OS, no renice) the render runs at normal priority, and
 * the log says so once.
 */
final class BackgroundPriority {

  private static final Logger log = LoggerFactory.getLogger(BackgroundPriority.class);
  private static volatile boolean warned;

  private BackgroundPriority() {}

  /** Sets the calling thread's nice value to {@code nice} (1–19; 0 leaves it as it is). */
  static void lowerTo(int nice) {
    if (nice <= 0) return;
    try {
      // /proc/thread-self is "PID/task/TID": the kernel's id of this very thread.
      String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
      Process renice = new ProcessBuilder("renice", "-n", Integer.toString(nice), "-p", tid).redirectErrorStream(true).start();
      renice.getInputStream().readAllBytes();
      if (!renice.waitFor(5, TimeUnit.SECONDS)) {
        renice.destroyForcibly();
        warnOnce("renice did not answer within 5 s");
      } else if (renice.exitValue() != 0) {
        warnOnce("renice exited with " + renice.exitValue());
      }
    } catch (IOException | UnsupportedOperationException e) {
      warnOnce(e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the render sees it at its first check
    }
  }

  private static void warnOnce(String why) {
    if (warned) return;
    warned = true;
    log.warn("reports render at the node's normal CPU priority ({}): a render competes with interactive requests for the cores", why);
  }
}
