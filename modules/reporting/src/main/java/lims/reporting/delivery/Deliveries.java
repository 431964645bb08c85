package lims.reporting.delivery;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.Database;
import lims.kernel.KeysetCursor;
import lims.kernel.Page;
import lims.kernel.Refused;
import lims.kernel.Rejection;
import lims.reporting.mail.MailSettings;
import lims.reporting.mail.Mailer;
import lims.specimen.Specimens;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContextExecutor;

/**
 * Report delivery by e-mail (decision 0057), the entry point: queue a stored report version for
 * its recipients, list the deliveries, retry a dead letter. {@link #start} also starts this
 * node's sender, which every node runs. Without an SMTP host delivery is manual: nothing is
 * queued and nothing is sent.
 */
public final class Deliveries {

  private static final Logger log = LoggerFactory.getLogger(Deliveries.class);

  private final Database database;
  private final DeliveryStore store;
  private final MailSettings mail;

  private Deliveries(Database database, DeliveryStore store, MailSettings mail) {
    this.database = database;
    this.store = store;
    this.mail = mail;
  }

  /** The node's deliveries, its sender running when SMTP is configured; deliver is taken through {@code specimens}. */
  public static Deliveries start(ActorSystem<?> system, Specimens specimens) {
    return start(system, SpecimenDelivery.of(specimens));
  }

  public static Deliveries start(ActorSystem<?> system, SpecimenDelivery specimens) {
    Config config = system.settings().config();
    Config delivery = config.getConfig("lims.reports.delivery");
    MailSettings mail = MailSettings.fromConfig(config.getConfig("lims.reports.mail"));
    DeliveryStore store = new DeliveryStore(new DeliveryStore.Policy(delivery.getInt("attempts"),
        new lims.kernel.Backoff(delivery.getDuration("min-backoff"), delivery.getDuration("max-backoff")), delivery.getDuration("lease")));
    Database database = Database.get(system);
    Deliveries deliveries = new Deliveries(database, store, mail);
    if (!mail.configured()) {
      log.info("no SMTP host (lims.reports.mail.host): reports are delivered by hand");
      return deliveries;
    }
    String owner = system.address() + "#" + UUID.randomUUID().toString().substring(0, 8);
    DeliveryWorker worker = new DeliveryWorker(database.dataSource(), store, new Mailer(mail), specimens, owner, delivery.getInt("batch"),
        config.getDuration("lims.http.ask-timeout").toMillis());
    ExecutionContextExecutor sending = system.dispatchers().lookup(DispatcherSelector.fromConfig("lims.reports.delivery.dispatcher"));
    Duration poll = delivery.getDuration("poll-interval");
    Cancellable rounds = system.scheduler().scheduleWithFixedDelay(poll, poll, worker, sending);
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-report-delivery", () -> {
      rounds.cancel();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    log.info("report delivery by {} as {}", mail, owner);
    return deliveries;
  }

  /** Whether reports go out by e-mail on this node (an SMTP host is configured), or wait for a user (manual). */
  public boolean byMail() {
    return mail.configured();
  }

  /**
   * Queues a stored report version (table {@code report}, read when sent) for each recipient:
   * one delivery per recipient, addresses that differ only by case counting once. A repeat,
   * also concurrent or from another node, adds nothing. Answers how many deliveries were added:
   * none when delivery is manual or there are no recipients (the specimens then stay REPORTED).
   */
  public CompletionStage<Integer> enqueue(String reportId, int version, List<String> specimenIds, String clientCode, List<String> recipients) {
    if (reportId == null || reportId.isBlank() || reportId.length() > 64) throw new IllegalArgumentException("report id: 1 to 64 characters");
    if (version < 1) throw new IllegalArgumentException("version: from 1");
    if (specimenIds.isEmpty()) throw new IllegalArgumentException("a report names its specimens");
    if (!mail.configured() || recipients.isEmpty()) return CompletableFuture.completedFuture(0);
    Map<String, Delivery> byKey = new LinkedHashMap<>();
    for (String given : recipients) {
      String recipient = given.strip();
      if (!lims.specimen.Clients.validEmail(recipient)) throw new IllegalArgumentException("not an e-mail address: " + given);
      byKey.putIfAbsent(DeliveryIds.recipientKey(recipient), new Delivery(DeliveryIds.id(reportId, version, recipient), reportId, version,
          recipient, clientCode, List.copyOf(specimenIds), DeliveryIds.messageId(reportId, version, recipient, mail.domain()),
          DeliveryStatus.QUEUED, 0, null, null, null, null, null, null));
    }
    List<Delivery> rows = new ArrayList<>(byKey.values());
    return database.withConnection(c -> store.enqueue(c, rows));
  }

  public CompletionStage<Page<Delivery>> list(Optional<DeliveryStatus> status, int limit, Optional<KeysetCursor> after) {
    return database.withConnection(c -> store.list(c, status, limit, after));
  }

  public CompletionStage<Optional<Delivery>> get(String id) {
    return database.withConnection(c -> store.get(c, id));
  }

  /** The answer to a retry: the delivery, queued again, or why not. */
  public sealed interface RetryReply permits Retried, NotRetried {}

  public record Retried(Delivery delivery) implements RetryReply {}

  public record NotRetried(Rejection rejection) implements RetryReply, Refused {}

  /** A dead letter queued again, due now, with its tries counted afresh; 404 unknown, 409 when it is not a dead letter. */
  public CompletionStage<RetryReply> retry(String id) {
    return database.withConnection(c -> {
      boolean queued = store.retry(c, id);
      Optional<Delivery> now = store.get(c, id);
      if (now.isEmpty()) return new NotRetried(Rejection.notFound("no delivery " + id));
      if (!queued) return new NotRetried(Rejection.conflict("delivery " + id + " is " + now.get().status().wireName() + ", not failed"));
      return new Retried(now.get());
    });
  }
}
