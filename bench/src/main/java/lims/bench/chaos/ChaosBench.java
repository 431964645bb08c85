package lims.bench.chaos;

import com.sun.management.OperatingSystemMXBean;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lims.bench.cluster.PrivatePostgres;

/**
 * {@code ./lims chaos}: a private PostgreSQL with fsync on and three nodes launched as
 * {@code ./lims node} launches them, tortured under a mixed load (kill -9 rotation including
 * the oldest node, SIGSTOP past downing, PostgreSQL stopped, rolling restart; see
 * {@link ChaosRun}), then audited ({@link Audit}). Prints Markdown tables; exits with 1 when a
 * check failed. Parameters: {@link ChaosSettings}. The node consoles stay in the folder
 * printed first. The acceptance module runs a shorter run through {@link #run}.
 */
public final class ChaosBench {

  private ChaosBench() {}

  /** A run's report (Markdown tables) and its failed checks, each as "check: detail". */
  public record Outcome(String report, List<String> failures) {}

  public static void main(String[] args) throws Exception {
    ChaosSettings settings = new ChaosSettings(Map.of());
    Path postgres = PrivatePostgres.binaries().orElseThrow(() -> new IllegalStateException("no PostgreSQL server binaries under /usr/lib/postgresql"));
    Path dir = Files.createTempDirectory("lims-chaos");
    String header = header(settings);
    long started = System.currentTimeMillis();
    Outcome outcome;
    try {
      outcome = run(settings, dir, postgres, System.out);
    } catch (RuntimeException | AssertionError e) {
      // The cluster did not start (or the harness broke): nothing to audit, and nothing left running.
      System.out.println("chaos run FAILED before its audit: " + (e.getCause() != null ? e.getCause() : e).toString().lines().findFirst().orElse("")
          + "\nnode consoles: " + dir);
      System.exit(1);
      return;
    }
    System.out.println();
    System.out.println(header);
    System.out.printf(Locale.ROOT, "- whole run %.1f minutes; node consoles: %s%n%n", (System.currentTimeMillis() - started) / 60000.0, dir);
    System.out.println(outcome.report());
    System.out.println(outcome.failures().isEmpty() ? "every check passed" : outcome.failures().size() + " checks FAILED");
    System.exit(outcome.failures().isEmpty() ? 0 : 1);
  }

  /**
   * Starts PostgreSQL and the nodes (consoles in {@code dir}), runs the settings' steps under
   * load, audits, and stops everything it started, also on Ctrl-C.
   */
  public static Outcome run(ChaosSettings settings, Path dir, Path postgresBinaries, PrintStream progress) throws SQLException {
    ChaosRun run = ChaosRun.start(settings, dir, postgresBinaries, progress);
    Thread onExit = new Thread(run::close, "chaos-stop");
    Runtime.getRuntime().addShutdownHook(onExit);
    try {
      run.run();
      run.say("auditing");
      Audit audit = Audit.of(run, settings.resumeBound.toMillis());
      String report = String.format(Locale.ROOT, "- load %.1f minutes%n%n", (run.load.stoppedAt - run.load.startedAt) / 60000.0) + audit.report();
      return new Outcome(report, audit.failures().stream().map(c -> c.name() + ": " + c.detail()).toList());
    } finally {
      run.close();
      try {
        Runtime.getRuntime().removeShutdownHook(onExit);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook runs, and finds the run closed
      }
    }
  }

  private static String header(ChaosSettings settings) {
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    return String.format(Locale.ROOT, "## Chaos run (`./lims chaos`)%n%n- machine: %d cores, %.0f GiB; load average %.1f when the run started (other processes included); %s %s%n"
            + "- date: %s%n- three nodes (`lims.http.Main cluster`, one JVM each) on one private PostgreSQL with fsync and synchronous commit on, all on this machine%n- settings: %s",
        Runtime.getRuntime().availableProcessors(), os.getTotalMemorySize() / (1024.0 * 1024 * 1024), os.getSystemLoadAverage(),
        System.getProperty("java.vm.name"), System.getProperty("java.version"), Instant.now(), settings.describe());
  }
}
