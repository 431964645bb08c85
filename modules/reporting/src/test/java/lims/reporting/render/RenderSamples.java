package lims.reporting.render;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the sample reports to {@code -Dlims.render.samples=<dir>} and prints render times (after a
 * warm-up) and the heap's peak: for looking at pages with pdftoppm and for decision 0056's numbers.
 * Not part of the suite's assertions; it runs only when the property is set.
 */
@EnabledIfSystemProperty(named = "lims.render.samples", matches = ".+")
class RenderSamples {
  private static final RenderLimits NO_LIMIT = new RenderLimits(10_000, Long.MAX_VALUE);

  @Test
  void writeAndTime() throws Exception {
    Path dir = Files.createDirectories(Path.of(System.getProperty("lims.render.samples")));
    ReportContent small = SampleReports.shortReport();
    ReportContent large = SampleReports.batchReport(12, 220);
    for (int i = 0; i < 3; i++) {
      ReportRenderer.render(small, NO_LIMIT);
      ReportRenderer.render(large, NO_LIMIT);
    }
    time("short", small, dir, 10);
    time("large", large, dir, 3);
  }

  private static void time(String name, ReportContent content, Path dir, int runs) throws Exception {
    System.gc();
    ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    RenderedReport report = null;
    long best = Long.MAX_VALUE;
    long total = 0;
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      report = ReportRenderer.render(content, NO_LIMIT);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      best = Math.min(best, ms);
      total += ms;
    }
    long peak = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
        .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    Files.write(dir.resolve(name + ".pdf"), report.pdf());
    Files.write(dir.resolve(name + ".xlsx"), report.xlsx());
    System.out.printf("SAMPLE %s: %d pages, pdf %d B, xlsx %d B, best %d ms, mean %d ms, heap pools peak sum %d MB (max heap %d MB)%n",
        name, report.pages(), report.pdf().length, report.xlsx().length, best, total / runs, peak >> 20,
        Runtime.getRuntime().maxMemory() >> 20);
  }
}
