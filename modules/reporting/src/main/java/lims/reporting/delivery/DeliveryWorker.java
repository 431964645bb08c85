package lims.reporting.delivery;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import lims.kernel.Custody;
import lims.reporting.mail.Letter;
import lims.reporting.mail.MailFailure;
import lims.reporting.mail.Mailer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's sender, run every poll interval on the delivery dispatcher: claims due rows, sends
 * each as its own SMTP transaction, records the server's answer, and takes {@code deliver} on
 * the specimens of each report version all of whose recipients accepted it. Every node runs
 * one; the claim keeps them from sending the same row at once.
 */
final class DeliveryWorker implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);

  private final DataSource dataSource;
  private final DeliveryStore store;
  private final Mailer mailer;
  private final SpecimenDelivery specimens;
  private final String owner;
  private final int batch;
  private final long askMillis;
  private final AtomicBoolean running = new AtomicBoolean();

  DeliveryWorker(DataSource dataSource, DeliveryStore store, Mailer mailer, SpecimenDelivery specimens, String owner, int batch, long askMillis) {
    this.dataSource = dataSource;
    this.store = store;
    this.mailer = mailer;
    this.specimens = specimens;
    this.owner = owner;
    this.batch = batch;
    this.askMillis = askMillis;
  }

  @Override
  public void run() {
    if (!running.compareAndSet(false, true)) return; // the previous round is still sending
    try {
      // One claim per send, so each lease starts when its send does.
      for (int sent = 0; sent < batch; sent++) {
        Optional<Delivery> claimed = withConnection(c -> store.claim(c, owner, batch));
        if (claimed.isEmpty()) break;
        send(claimed.get());
      }
      recordDelivered();
    } catch (RuntimeException | SQLException e) {
      log.warn("delivery round failed (the next round tries again): {}", e.toString());
    } finally {
      running.set(false);
    }
  }

  private void send(Delivery d) throws SQLException {
    Optional<byte[]> pdf = withConnection(c -> store.pdf(c, d.reportId(), d.version()));
    if (pdf.isEmpty()) {
      failed(d, "report " + d.reportId() + " version " + d.version() + " is not stored", false);
      return;
    }
    String response;
    try {
      response = mailer.send(letter(d, pdf.get()), Instant.now());
    } catch (MailFailure e) {
      failed(d, e.getMessage(), e.permanent());
      return;
    }
    // The one window SMTP leaves: a crash here sends the letter again, with the same Message-ID.
    withConnection(c -> store.accepted(c, d.id(), response));
    log.info("delivery {} of report {} v{} accepted for {}: {}", d.id(), d.reportId(), d.version(), d.recipient(), response);
  }

  private void failed(Delivery d, String error, boolean permanent) throws SQLException {
    DeliveryStatus now = withConnection(c -> store.failed(c, d, owner, error, permanent));
    log.warn("delivery {} of report {} v{} to {} failed (try {}{}): {}", d.id(), d.reportId(), d.version(), d.recipient(), d.attempts(),
        now == DeliveryStatus.FAILED ? ", now a dead letter" : "", error);
  }

  private Letter letter(Delivery d, byte[] pdf) {
    String specimens = String.join(", ", d.specimenIds());
    String client = d.clientId() == null ? "" : " for client " + d.clientId();
    String subject = "Report " + d.reportId() + " v" + d.version() + (d.clientId() == null ? "" : " · client " + d.clientId()) + " · "
        + (specimens.length() <= 160 ? specimens : d.specimenIds().get(0) + " and " + (d.specimenIds().size() - 1) + " more");
    String text = "The laboratory's report " + d.reportId() + ", version " + d.version() + client + ", is attached.\r\n"
        + "Specimens: " + specimens + "\r\n"
        + "SHA-256 of the attached PDF: " + DeliveryIds.sha256(pdf) + "\r\n";
    return new Letter(d.messageId(), d.recipient(), subject, text, d.reportId() + "-v" + d.version() + ".pdf", pdf);
  }

  /** Each version whose recipients all accepted: deliver on its specimens, then marked so it is not done again. */
  private void recordDelivered() throws SQLException {
    for (List<Delivery> version : withConnection(store::acceptedVersionsToRecord)) {
      Delivery first = version.get(0);
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("report_id", first.reportId());
      data.put("version", first.version());
      data.put("recipients", version.stream().map(Delivery::recipient).toList());
      data.put("message_ids", version.stream().map(Delivery::messageId).toList());
      Instant at = version.stream().map(Delivery::acceptedAt).max(Instant::compareTo).orElseThrow();
      Custody system = Custody.system(at, "delivery:" + first.reportId() + "/v" + first.version(), null);
      List<CompletableFuture<Boolean>> moves = first.specimenIds().stream()
          .map(id -> specimens.deliver(id, Map.copyOf(data), system).toCompletableFuture()).toList();
      boolean done;
      try {
        done = CompletableFuture.allOf(moves.toArray(CompletableFuture[]::new)).thenApply(all -> moves.stream().allMatch(CompletableFuture::join))
            .get(askMillis, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        done = false; // asked again next round
      }
      if (done) withConnection(c -> {
        store.custodyRecorded(c, first.reportId(), first.version());
        return null;
      });
    }
  }

  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T withConnection(Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return work.apply(c);
    }
  }
}
