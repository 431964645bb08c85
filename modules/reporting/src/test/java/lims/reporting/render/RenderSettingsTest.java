package lims.reporting.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderSettingsTest {

  @Test
  void theShippedDefaultsNameNoLogoUtcAndTheLimits() {
    RenderSettings settings = RenderSettings.from(ConfigFactory.parseResources("reporting.conf").resolve()
        .getConfig("lims.reports"));

    assertEquals("LIMS laboratory", settings.lab().name());
    assertNull(settings.lab().logoPng());
    assertEquals(ZoneId.of("UTC"), settings.zone());
    assertEquals(new RenderLimits(500, 50L * 1024 * 1024), settings.limits());
  }

  @Test
  void aLabsHeaderAndLogoFile(@TempDir Path dir) throws Exception {
    Path logo = Files.write(dir.resolve("logo.png"), SampleReports.logo());
    RenderSettings settings = RenderSettings.from(ConfigFactory.parseString("""
        lab { name = "Nordlicht", address = "Wissenschaftspark 12; Göttingen", accreditation = "DAkkS",
              logo-file = "%s", zone = "Europe/Berlin" }
        limits { max-pages = 80, max-bytes = 5MB }
        """.formatted(logo.toString().replace("\\", "/"))));

    assertEquals(List.of("Wissenschaftspark 12", "Göttingen"), settings.lab().address());
    assertArrayEquals(Files.readAllBytes(logo), settings.lab().logoPng());
    assertEquals(new RenderLimits(80, 5_000_000), settings.limits());
  }

  @Test
  void aLogoFileThatCannotBeReadStopsTheStart() {
    assertThrows(UncheckedIOException.class, () -> RenderSettings.from(ConfigFactory.parseString("""
        lab { name = "N", address = "", accreditation = "", logo-file = "/nonexistent/logo.png", zone = "UTC" }
        limits { max-pages = 80, max-bytes = 5MB }
        """)));
  }
}
