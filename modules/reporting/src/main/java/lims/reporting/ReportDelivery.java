package lims.reporting;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** What happens to a stored report next: e-mail to its recipients, or nothing (delivered by hand). */
public interface ReportDelivery {

  /** Queues the report's delivery; a repeat for the same version adds nothing. */
  CompletionStage<Done> reportStored(StoredReport report);

  /** By e-mail through the node's deliveries (which queue nothing when no SMTP host is configured: delivery by hand). */
  static ReportDelivery by(lims.reporting.delivery.Deliveries deliveries) {
    return report -> deliveries.enqueue(report.reportId(), report.version(), report.specimenIds(), report.clientId(), report.recipients())
        .thenApply(added -> Done.getInstance());
  }

  /** No SMTP server configured: a user downloads the report and takes deliver by hand. */
  static ReportDelivery manual() {
    return report -> CompletableFuture.completedFuture(Done.getInstance());
  }
}
