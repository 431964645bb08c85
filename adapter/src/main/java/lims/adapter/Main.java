package lims.adapter;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./lims adapter ...}: the reference instrument adapter (docs/telemetry.md). */
@Command(name = "adapter", mixinStandardHelpOptions = true, subcommands = Main.Simulate.class,
    description = "Instrument adapters streaming telemetry to a LIMS node.")
public final class Main {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Command(name = "simulate", mixinStandardHelpOptions = true,
      description = "A simulated instrument streaming plausible readings over the WebSocket; it buffers while disconnected and resumes without gaps.")
  static final class Simulate implements Callable<Integer> {
    @Option(names = "--device", required = true, description = "the device's id, e.g. incubator-1")
    String device;
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "the node (default ${DEFAULT-VALUE})")
    URI url;
    @Option(names = "--rate", defaultValue = "10", description = "readings per second per channel (default ${DEFAULT-VALUE})")
    double rate;
    @Option(names = "--batch", defaultValue = "10", description = "readings per channel in one batch (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--channels", split = ",", description = "only these channels (default: every channel of the device)")
    List<String> channels = List.of();
    @Option(names = "--type", defaultValue = "incubator",
        description = "the device's type, for its shipped channels when the node does not tell them (default ${DEFAULT-VALUE})")
    String type;
    @Option(names = "--token", description = "a bearer token of an instrument user linked to the device (or an admin)")
    String token;
    @Option(names = "--user", description = "log in as this user instead of --token (logs in again when the token expires)")
    String user;
    @Option(names = "--password", description = "the user's password (or LIMS_ADAPTER_PASSWORD)", defaultValue = "${env:LIMS_ADAPTER_PASSWORD}")
    String password;
    @Option(names = "--drift", description = "this channel climbs past its high limit and stays there, to see an alarm raised")
    String drift;

    @Option(names = "--drift-after", defaultValue = "PT20S", description = "when the drift starts, an ISO-8601 duration (default ${DEFAULT-VALUE})")
    Duration driftAfter;

    @Option(names = "--count", defaultValue = "0", description = "stop after this many batches, once all are acknowledged (0: run until Ctrl-C)")
    long count;
    @Option(names = "--buffer", defaultValue = "10000", description = "batches kept while the node has not acknowledged them (default ${DEFAULT-VALUE})")
    int buffer;
    @Option(names = "--window", defaultValue = "16", description = "batches sent ahead of their acks (default ${DEFAULT-VALUE})")
    int window;

    @Override
    public Integer call() throws Exception {
      if (rate <= 0 || batch < 1) throw new CommandLine.ParameterException(new CommandLine(this), "--rate must be > 0 and --batch >= 1");
      Duration timeout = Duration.ofSeconds(10);
      Credentials credentials;
      if (token != null) {
        credentials = Credentials.fixed(token);
      } else if (user != null && password != null) {
        credentials = Credentials.login(url, user, password, timeout);
      } else {
        throw new CommandLine.ParameterException(new CommandLine(this), "give --token, or --user and --password");
      }
      Set<String> only = new LinkedHashSet<>(channels);
      SimulatedInstrument instrument = new SimulatedInstrument(
          ChannelSource.resolve(url, device, type, credentials, only, timeout), Instant.now(), System.nanoTime());
      if (drift != null) instrument.drift(drift, Instant.now().plus(driftAfter));
      Duration interval = Duration.ofNanos((long) (1e9 / rate));
      Duration period = interval.multipliedBy(batch);
      System.out.printf("simulating %s: %s, %s readings/s per channel in batches of %d, to %s%n", device,
          instrument.channels().stream().map(c -> c.name() + " [" + c.unit() + "]").toList(), rate, batch, url);
      URI socket = URI.create(url.toString().replaceFirst("^http", "ws").replaceAll("/$", "") + "/api/v1/devices/" + device + "/telemetry/stream");
      TelemetryStream.Settings settings = new TelemetryStream.Settings(socket, Math.min(window, buffer), buffer,
          Duration.ofMillis(200), Duration.ofSeconds(15), timeout);
      Console console = new Console();
      try (TelemetryStream stream = new TelemetryStream(settings, credentials, console)) {
        return run(stream, instrument, interval, period, console);
      }
    }

    private int run(TelemetryStream stream, SimulatedInstrument instrument, Duration interval, Duration period, Console console)
        throws InterruptedException {
      long next = System.nanoTime();
      long report = next + Duration.ofSeconds(5).toNanos();
      long ackedAtReport = 0;
      long skipped = 0;
      for (long made = 0; count == 0 || made < count; made++) {
        if (console.rejected != 0) return 2; // 403 or 404: retrying would not help, a person must fix the user or the id
        next += period.toNanos();
        long wait = next - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // the instrument's own sampling pace
        // A full buffer (disconnected for long): the instrument's samples are skipped, never the seqs already out.
        if (!stream.offer(instrument.next(Instant.now(), batch, interval), Duration.ZERO)) skipped++;
        if (System.nanoTime() >= report) {
          long acked = stream.ackedReadings();
          System.out.printf("%s: %,d readings acknowledged (%.1f/s), %d batches waiting for an ack%s%s%n", Instant.now(), acked,
              (acked - ackedAtReport) / 5.0, stream.buffered(), stream.connectedNow() ? "" : ", disconnected",
              skipped > 0 ? ", " + skipped + " batches skipped: buffer full" : "");
          ackedAtReport = acked;
          report += Duration.ofSeconds(5).toNanos();
        }
      }
      boolean drained = stream.drained(Duration.ofMinutes(1));
      System.out.printf("done: %,d batches (%,d readings) acknowledged%s%n", stream.ackedBatches(), stream.ackedReadings(),
          drained ? "" : ", " + stream.buffered() + " still unacknowledged after a minute");
      return drained ? 0 : 1;
    }
  }

  /** What the stream reports, on the console. */
  private static final class Console implements TelemetryStream.Events {
    volatile int rejected;

    @Override
    public void connected() {
      System.out.println(Instant.now() + ": connected");
    }

    @Override
    public void disconnected(String why, Duration retryIn) {
      System.out.printf("%s: not connected (%s); trying again in %d ms%n", Instant.now(), why, retryIn.toMillis());
    }

    @Override
    public void refused(long seq, int index, String field, String error) {
      System.out.printf("%s: refused: seq %d, %s: %s%n", Instant.now(), seq,
          index < 0 ? "whole batch" : "reading " + index + (field == null ? "" : " (" + field + ")"), error);
    }

    @Override
    public void rejected(int status) {
      rejected = status;
      System.out.printf("%s: the node refuses this adapter (%d): check the token's role and its link to the device%n", Instant.now(), status);
    }
  }
}
