package lims.reporting.delivery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import lims.kernel.Backoff;
import lims.kernel.Custody;
import lims.kernel.Database;
import lims.kernel.NodeConfig;
import lims.kernel.Rejection;
import lims.kernel.testing.TestDatabase;
import lims.reporting.testing.MailServer;
import lims.reporting.testing.StoredReports;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Reports delivered through a real SMTP server by the senders of one or two nodes sharing one database. */
@Tag("database")
class DeliveriesTest {

  record Move(String specimenId, Map<String, Object> data, Custody custody) {}

  private MailServer mail;
  private Map<String, Object> database;
  private final List<ActorTestKit> nodes = new ArrayList<>();
  private final List<Move> moves = new CopyOnWriteArrayList<>();
  private final SpecimenDelivery specimens = (id, data, custody) -> {
    moves.add(new Move(id, data, custody));
    return CompletableFuture.completedFuture(true);
  };

  @BeforeEach
  void start() {
    mail = MailServer.start();
    database = TestDatabase.fresh("deliveries");
  }

  @AfterEach
  void stop() {
    nodes.forEach(ActorTestKit::shutdownTestKit);
    mail.close();
  }

  private Deliveries node(Map<String, Object> more) {
    Map<String, Object> settings = new HashMap<>(database);
    settings.putAll(mail.nodeSettings());
    settings.putAll(more);
    ActorTestKit kit = ActorTestKit.create("deliveries", NodeConfig.load("test", settings).withFallback(ConfigFactory.load()));
    nodes.add(kit);
    return Deliveries.start(kit.system(), specimens);
  }

  private Database db() {
    return Database.get(nodes.get(0).system());
  }

  private void eventually(Runnable check) {
    TestProbe<Object> probe = nodes.get(0).createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(20), () -> {
      check.run();
      return null;
    });
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private List<Delivery> listed(DeliveryStatus status) {
    return await(deliveries.list(Optional.of(status), 500, Optional.empty())).items();
  }

  private Deliveries deliveries;

  private byte[] stored(String reportId, int version) {
    byte[] pdf = StoredReports.pdf(reportId + "v" + version);
    StoredReports.store(db().dataSource(), db().vendor(), reportId, version, pdf);
    return pdf;
  }

  private static byte[] attachment(MimeMessage message) {
    try {
      return ((MimeMultipart) message.getContent()).getBodyPart(1).getInputStream().readAllBytes();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void eachRecipientGetsTheStoredPdfOnceAndTheSpecimensAreDeliveredWithTheMessageIds() throws Exception {
    deliveries = node(Map.of());
    byte[] pdf = stored("R-100", 1);
    List<String> recipients = List.of("ann@clinic.example", "bob@clinic.example", "Ann@Clinic.example");

    assertEquals(2, await(deliveries.enqueue("R-100", 1, List.of("SP-2026-000001", "SP-2026-000002"), "ACME", recipients)));
    assertEquals(0, await(deliveries.enqueue("R-100", 1, List.of("SP-2026-000001", "SP-2026-000002"), "ACME", recipients)), "a repeat adds nothing");

    eventually(() -> assertEquals(2, listed(DeliveryStatus.ACCEPTED).size()));
    eventually(() -> assertEquals(2, moves.size()));
    for (String recipient : List.of("ann@clinic.example", "bob@clinic.example")) {
      List<MimeMessage> got = mail.receivedBy(recipient);
      assertEquals(1, got.size(), recipient);
      assertArrayEquals(pdf, attachment(got.get(0)), "the attachment is the stored PDF");
      assertTrue(got.get(0).getSubject().contains("ACME") && got.get(0).getSubject().contains("SP-2026-000002"), got.get(0).getSubject());
    }
    Set<String> messageIds = new HashSet<>();
    for (Delivery d : listed(DeliveryStatus.ACCEPTED)) {
      assertTrue(d.serverResponse().startsWith("250"), d.serverResponse());
      assertEquals(1, d.attempts());
      assertEquals(d.messageId(), mail.receivedBy(d.recipient()).get(0).getMessageID());
      messageIds.add(d.messageId());
    }
    assertEquals(2, messageIds.size(), "one Message-ID per recipient");

    assertEquals(Set.of("SP-2026-000001", "SP-2026-000002"), Set.of(moves.get(0).specimenId(), moves.get(1).specimenId()));
    Move move = moves.get(0);
    assertEquals("system", move.custody().userId());
    assertEquals("R-100", move.data().get("report_id"));
    assertEquals(1, move.data().get("version"));
    assertEquals(Set.copyOf((List<?>) move.data().get("message_ids")), messageIds);
    assertEquals(Set.of("ann@clinic.example", "bob@clinic.example"), Set.copyOf((List<?>) move.data().get("recipients")));

    // A later report goes out; nothing of the first is sent again, nor its specimens moved again.
    stored("R-101", 1);
    await(deliveries.enqueue("R-101", 1, List.of("SP-2026-000003"), "ACME", List.of("ann@clinic.example")));
    eventually(() -> assertEquals(3, moves.size()));
    assertEquals(2, mail.receivedBy("ann@clinic.example").size());
    assertEquals(1, mail.receivedBy("bob@clinic.example").size());
  }

  @Test
  void whileTheServerIsDownTriesBackOffToADeadLetterAndAManualRetryDeliversOnceWithoutResendingToTheAccepted() {
    deliveries = node(Map.of());
    stored("R-200", 1);
    mail.stop();
    await(deliveries.enqueue("R-200", 1, List.of("SP-2026-000010"), "ACME", List.of("ann@clinic.example", "bob@clinic.example")));
    eventually(() -> assertEquals(2, listed(DeliveryStatus.FAILED).size()));
    for (Delivery dead : listed(DeliveryStatus.FAILED)) {
      assertEquals(3, dead.attempts(), "the configured tries, then the dead letter");
      assertTrue(dead.lastError().contains("onnect"), dead.lastError());
      assertNotNull(dead.failedAt());
    }
    String bob = DeliveryIds.id("R-200", 1, "bob@clinic.example");
    String ann = DeliveryIds.id("R-200", 1, "ann@clinic.example");

    mail.restart();
    assertInstanceOf(Deliveries.Retried.class, await(deliveries.retry(bob)));
    eventually(() -> assertEquals(List.of(bob), listed(DeliveryStatus.ACCEPTED).stream().map(Delivery::id).toList()));
    assertTrue(moves.isEmpty(), "the specimen stays REPORTED while a recipient is missing");
    assertEquals(1, mail.receivedBy("bob@clinic.example").size(), "accepted once");

    assertInstanceOf(Deliveries.Retried.class, await(deliveries.retry(ann)));
    eventually(() -> assertEquals(2, listed(DeliveryStatus.ACCEPTED).size()));
    eventually(() -> assertEquals(1, moves.size()));
    assertEquals(1, mail.receivedBy("ann@clinic.example").size());
    assertEquals(1, mail.receivedBy("bob@clinic.example").size(), "never sent again to a recipient already accepted");

    Deliveries.RetryReply again = await(deliveries.retry(bob));
    assertEquals(Rejection.Kind.CONFLICT, ((Deliveries.NotRetried) again).rejection().kind(), "only a dead letter is retried");
    assertEquals(Rejection.Kind.NOT_FOUND, ((Deliveries.NotRetried) await(deliveries.retry("DL-00000000000000000000"))).rejection().kind());
  }

  @Test
  void twoNodesSendingFromOneQueueSendEachRecipientOnce() {
    deliveries = node(Map.of());
    node(Map.of());
    List<String> recipients = new ArrayList<>();
    for (int i = 0; i < 30; i++) recipients.add("r" + i + "@clinic.example");
    for (int v = 1; v <= 3; v++) {
      stored("R-300", v);
      await(deliveries.enqueue("R-300", v, List.of("SP-2026-000020"), "ACME", recipients));
    }
    eventually(() -> assertEquals(90, listed(DeliveryStatus.ACCEPTED).size()));
    assertEquals(90, mail.received().size(), "no message sent twice");
    for (String r : recipients) assertEquals(3, mail.receivedBy(r).size(), r);
  }

  @Test
  void aDeliveryClaimedByANodeThatStoppedIsSentByAnotherOnceItsLeaseLapses() throws Exception {
    deliveries = node(Map.of());
    stored("R-400", 1);
    // Claimed by a node that then stopped: before the worker's first round, with a short lease.
    DeliveryStore crashed = new DeliveryStore(new DeliveryStore.Policy(3, new Backoff(Duration.ofMillis(100), Duration.ofMillis(100)),
        Duration.ofSeconds(2)));
    try (var c = db().dataSource().getConnection()) {
      crashed.enqueue(c, List.of(new Delivery(DeliveryIds.id("R-400", 1, "ann@clinic.example"), "R-400", 1, "ann@clinic.example", "ACME",
          List.of("SP-2026-000030"), DeliveryIds.messageId("R-400", 1, "ann@clinic.example", "lab.example"), DeliveryStatus.QUEUED, 0,
          null, null, null, null, null, null)));
      assertTrue(crashed.claim(c, "stopped-node", 10).isPresent());
      assertTrue(crashed.claim(c, "another-node", 10).isEmpty(), "a claimed row is nobody else's while its lease holds");
    }
    eventually(() -> assertEquals(1, listed(DeliveryStatus.ACCEPTED).size()));
    Delivery sent = listed(DeliveryStatus.ACCEPTED).get(0);
    assertEquals(2, sent.attempts(), "the stopped node's try counts");
    assertEquals(1, mail.receivedBy("ann@clinic.example").size());
  }

  @Test
  void withoutAnSmtpHostNothingIsQueued() {
    deliveries = node(Map.of("lims.reports.mail.host", ""));
    assertFalse(deliveries.byMail());
    assertEquals(0, await(deliveries.enqueue("R-500", 1, List.of("SP-2026-000040"), "ACME", List.of("ann@clinic.example"))));
    assertTrue(await(deliveries.list(Optional.empty(), 10, Optional.empty())).items().isEmpty());
  }
}
