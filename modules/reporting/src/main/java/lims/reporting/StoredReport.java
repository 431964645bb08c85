package lims.reporting;

import java.time.Instant;
import java.util.List;

/**
 * A stored report version as the archive shows it (its bytes are read apart, on demand).
 * {@code pdfSha256} is the one the specimens' report_rendered event records.
 */
public record StoredReport(String reportId, int version, String clientId, List<String> specimenIds, String batchKey,
    List<String> recipients, int pages, String pdfSha256, String xlsxSha256, int pdfBytes, int xlsxBytes, Instant renderedAt,
    String renderedBy, long renderMillis) {

  /** What a render produced, before it is stored; {@code specimenIds} those it covers (its job's, less any cancelled meanwhile). */
  public record Draft(List<String> specimenIds, String clientId, List<String> recipients, int pages, byte[] pdf, String pdfSha256, byte[] xlsx, String xlsxSha256,
      long renderMillis) {}
}
