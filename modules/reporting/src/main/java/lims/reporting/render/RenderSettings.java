package lims.reporting.render;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;

/**
 * The lab's header, the display zone and the limits, read from {@code lims.reports}
 * ({@code reporting.conf}). The logo is read once, here, so a missing file stops the node
 * at start rather than every report later.
 */
public record RenderSettings(ReportContent.Lab lab, ZoneId zone, RenderLimits limits) {

  /** @param reports the {@code lims.reports} section */
  public static RenderSettings from(Config reports) {
    Config lab = reports.getConfig("lab");
    Config limits = reports.getConfig("limits");
    String logoFile = lab.getString("logo-file");
    byte[] logo = null;
    if (!logoFile.isBlank()) {
      try {
        logo = Files.readAllBytes(Path.of(logoFile));
      } catch (IOException e) {
        throw new UncheckedIOException("lims.reports.lab.logo-file " + logoFile + " cannot be read", e);
      }
    }
    return new RenderSettings(
        new ReportContent.Lab(lab.getString("name"), addressLines(lab.getString("address")), lab.getString("accreditation"), logo),
        ZoneId.of(lab.getString("zone")),
        new RenderLimits(limits.getInt("max-pages"), limits.getBytes("max-bytes")));
  }

  /** The address as printed: lines separated by ";" (one setting an environment variable can hold). */
  static java.util.List<String> addressLines(String address) {
    return java.util.Arrays.stream(address.split(";")).map(String::strip).filter(line -> !line.isEmpty()).toList();
  }
}
