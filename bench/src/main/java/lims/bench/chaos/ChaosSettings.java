package lims.bench.chaos;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The harness's parameters. Each is read from, in order: the overrides given (a test's),
 * the system property {@code chaos.NAME} (e.g. {@code -Dchaos.kill-interval=20s} in
 * LIMS_BENCH_OPTS), the environment variable {@code LIMS_BENCH_CHAOS_NAME}
 * ({@code LIMS_BENCH_CHAOS_KILL_INTERVAL=20s}), then the default, which makes the whole
 * {@code ./lims chaos} run take 6 to 8 minutes on a two-core machine.
 */
public final class ChaosSettings {

  /** Length of the kill -9 rotation: one kill every {@link #killInterval}. */
  public final Duration duration;
  public final Duration killInterval;
  /** How long a killed node stays down before it is started again. */
  public final Duration restartAfter;
  /** How long PostgreSQL stays stopped. */
  public final Duration postgresDown;
  /** How long a SIGSTOPped node stays frozen after the others removed it from the cluster. */
  public final Duration pauseAfterDowning;
  public final Duration warmUp;
  public final double specimensPerSecond;
  public final double bookingsPerSecond;
  public final double labTestsPerSecond;
  public final int cronTests;
  public final String cron;
  /** The misfire policy of the cron tests: fire_all (every missed instant must fire), or fire_once or skip (a build without fire_all). */
  public final String cronMisfirePolicy;
  /** How far ahead one-time tests are due when created. */
  public final Duration labTestLead;
  public final int devices;
  public final int contendedDevices;
  public final int contenders;
  public final Duration requestTimeout;
  /** How soon writes must succeed again after a kill -9, and after PostgreSQL's start (a check). */
  public final Duration resumeBound;
  /** Attempts of one create (the same Idempotency-Key each time) before the client gives up. */
  public final int createAttempts;
  public final List<String> nodeJavaOptions;
  /** Which scenario steps run, in this order: bookings, kills, pause, postgres, rolling. */
  public final List<String> steps;

  public ChaosSettings(Map<String, String> overrides) {
    Map<String, String> o = overrides;
    duration = duration(o, "duration", "90s");
    killInterval = duration(o, "kill-interval", "30s");
    restartAfter = duration(o, "restart-after", "10s");
    postgresDown = duration(o, "postgres-down", "15s");
    pauseAfterDowning = duration(o, "pause-after-downing", "5s");
    warmUp = duration(o, "warm-up", "15s");
    specimensPerSecond = Double.parseDouble(value(o, "specimens-per-second", "2"));
    bookingsPerSecond = Double.parseDouble(value(o, "bookings-per-second", "2"));
    labTestsPerSecond = Double.parseDouble(value(o, "lab-tests-per-second", "1"));
    cronTests = Integer.parseInt(value(o, "cron-tests", "3"));
    cron = value(o, "cron", "*/5 * * * * ?");
    cronMisfirePolicy = value(o, "cron-misfire-policy", "fire_all");
    labTestLead = duration(o, "lab-test-lead", "10s");
    devices = Integer.parseInt(value(o, "devices", "12"));
    contendedDevices = Integer.parseInt(value(o, "contended-devices", "10"));
    contenders = Integer.parseInt(value(o, "contenders", "12"));
    requestTimeout = duration(o, "request-timeout", "10s");
    resumeBound = duration(o, "resume-bound", "20s");
    createAttempts = Integer.parseInt(value(o, "create-attempts", "3"));
    nodeJavaOptions = words(value(o, "node-java-opts", "-Xmx512m"));
    steps = words(value(o, "steps", "bookings kills pause postgres rolling").replace(',', ' '));
  }

  static String value(Map<String, String> overrides, String name, String fallback) {
    if (overrides.containsKey(name)) return overrides.get(name);
    String property = System.getProperty("chaos." + name);
    if (property != null) return property;
    String env = System.getenv("LIMS_BENCH_CHAOS_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
    return env != null ? env : fallback;
  }

  private static Duration duration(Map<String, String> overrides, String name, String fallback) {
    String v = value(overrides, name, fallback).trim();
    if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
    if (v.endsWith("s")) return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
    if (v.endsWith("m")) return Duration.ofSeconds(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 60));
    throw new IllegalArgumentException("chaos." + name + " = " + v + ": give a unit, e.g. 30s, 500ms or 2m");
  }

  private static List<String> words(String v) {
    return v.isBlank() ? List.of() : List.of(v.trim().split("\\s+"));
  }

  /** The settings as the report's first lines show them. */
  String describe() {
    return String.format(Locale.ROOT, "kill rotation %d s, a kill every %d s, restart after %d s; PostgreSQL down %d s; SIGSTOP held %d s past downing;"
            + " load: %.1f specimens/s (register, assign_barcode, receive), %.1f booking cycles/s over %d devices, %.1f one-time lab tests/s due %d s ahead,"
            + " %d cron tests '%s' (misfire policy %s); creates tried %d times with one Idempotency-Key; client time-out %d s; node JVM flags %s",
        duration.toSeconds(), killInterval.toSeconds(), restartAfter.toSeconds(), postgresDown.toSeconds(), pauseAfterDowning.toSeconds(),
        specimensPerSecond, bookingsPerSecond, devices, labTestsPerSecond, labTestLead.toSeconds(), cronTests, cron, cronMisfirePolicy,
        createAttempts, requestTimeout.toSeconds(), nodeJavaOptions);
  }
}
