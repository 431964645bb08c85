package lims.reporting;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.reporting.ReportJobs.Job;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.specimen.Specimens;
import lims.specimen.TransitionTable;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files a stored report: each of its specimens still APPROVED takes report_rendered, the
 * event recording the report id, version and the PDF's SHA-256 in its chain of custody; then
 * the report goes to delivery. Repeatable: a specimen that took it already (or moved on, or
 * was cancelled) refuses with a conflict, which is the answer wanted, and delivery adds
 * nothing for a version it has.
 */
public final class ReportFiling {

  private static final Logger log = LoggerFactory.getLogger(ReportFiling.class);

  private final Specimens specimens;
  private final ReportArchive archive;
  private final ReportDelivery delivery;

  public ReportFiling(Specimens specimens, ReportArchive archive, ReportDelivery delivery) {
    this.specimens = specimens;
    this.archive = archive;
    this.delivery = delivery;
  }

  public CompletionStage<Done> file(Job job) {
    return archive.versions(job.reportId()).thenCompose(versions -> {
      Optional<StoredReport> stored = versions.stream().filter(r -> job.version() != null && r.version() == job.version()).findFirst();
      if (stored.isEmpty()) throw new IllegalStateException("job " + job.jobId() + " is stored but report " + job.reportId() + " v" + job.version() + " is not");
      StoredReport report = stored.get();
      List<CompletableFuture<Void>> told = report.specimenIds().stream().map(id -> reportRendered(id, report, job).toCompletableFuture()).toList();
      return CompletableFuture.allOf(told.toArray(CompletableFuture[]::new)).thenCompose(all -> delivery.reportStored(report));
    });
  }

  private CompletionStage<Void> reportRendered(String specimenId, StoredReport report, Job job) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("report_id", report.reportId());
    data.put("version", report.version());
    data.put("pdf_sha256", report.pdfSha256());
    data.put("xlsx_sha256", report.xlsxSha256());
    data.put("pages", report.pages());
    Custody custody = Custody.system(Instant.now(), "report-job-" + job.jobId(), null);
    return specimens.transition(specimenId, TransitionTable.Action.REPORT_RENDERED.wireName(), Optional.of(SpecimenState.APPROVED),
        Map.copyOf(data), custody).thenAccept(reply -> {
          if (reply instanceof Specimen.Rejected rejected) {
            if (rejected.rejection().kind() != Rejection.Kind.CONFLICT) {
              throw new IllegalStateException(specimenId + " refused report_rendered: " + rejected.rejection().detail());
            }
            log.info("{} did not take report_rendered for {} v{}: {}", specimenId, report.reportId(), report.version(),
                rejected.rejection().detail());
          }
        });
  }
}
