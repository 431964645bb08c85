package lims.specimen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The Client entity's rules, and who receives a specimen's report. */
class ClientTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static final Custody ADMIN = new Custody("admin", "admin", Instant.parse("2026-01-02T03:04:05Z"), "10.0.0.1", "req-1", null);
  static final Client.Details ACME = new Client.Details("Acme", "1 Main Street",
      List.of(new Client.Contact("Ada", "ada@acme.example", true), new Client.Contact("Bob", "bob@acme.example", false)));

  static EventSourcedBehaviorTestKit<Client.Command, Client.Event, Client.State> client(String code) {
    return EventSourcedBehaviorTestKit.create(testKit.system(), Client.create(code));
  }

  @Test
  void aCodeIsTakenOnceAndAKeysRepeatIsAnsweredAsCreated() {
    var acme = client("ACME");
    var first = acme.<Client.Reply>runCommand(r -> new Client.Create(ACME, ADMIN, "token-a", r));
    assertTrue(assertInstanceOf(Client.Current.class, first.reply()).created());
    var repeat = acme.<Client.Reply>runCommand(r -> new Client.Create(ACME, ADMIN, "token-a", r));
    assertTrue(assertInstanceOf(Client.Current.class, repeat.reply()).created());
    assertTrue(repeat.events().isEmpty());
    var other = acme.<Client.Reply>runCommand(r -> new Client.Create(new Client.Details("Impostor", null, List.of()), ADMIN, null, r));
    assertEquals(Rejection.Kind.CONFLICT, assertInstanceOf(Client.Rejected.class, other.reply()).rejection().kind());
    assertEquals("Acme", acme.getState().name());
  }

  @Test
  void anEditReplacesDetailsAndKeepsTheCreation() {
    var acme = client("ACME-2");
    assertEquals(Rejection.Kind.NOT_FOUND, assertInstanceOf(Client.Rejected.class,
        acme.<Client.Reply>runCommand(r -> new Client.Update(ACME, ADMIN, r)).reply()).rejection().kind());
    acme.<Client.Reply>runCommand(r -> new Client.Create(ACME, ADMIN, null, r));
    Custody later = new Custody("ann", "admin", ADMIN.at().plusSeconds(60), "10.0.0.2", "req-2", null);
    acme.<Client.Reply>runCommand(r -> new Client.Update(new Client.Details("Acme Ltd", null, List.of()), later, r));
    Client.State s = acme.getState();
    assertEquals("Acme Ltd", s.name());
    assertNull(s.address());
    assertTrue(s.contacts().isEmpty());
    assertEquals(ADMIN, s.created());
    assertEquals(later, s.updated());
    acme.restart();
    assertEquals("Acme Ltd", acme.getState().name());
  }

  @Test
  void reportRecipientsAreTheClientsReportContactsThenTheSpecimensOwnEachOnce() {
    Client.State acme = new Client.State("ACME", ACME, ADMIN, ADMIN, null);
    var registration = new Specimen.Registration("r", "blood", List.of("cbc"), null, "normal", null, "ACME",
        List.of("doctor@ward.example", "ada@acme.example"));
    assertEquals(List.of("ada@acme.example", "doctor@ward.example"), Clients.reportRecipients(Optional.of(acme), registration));
    var noClient = new Specimen.Registration("r", "blood", List.of("cbc"), null, "normal", null);
    assertEquals(List.of(), Clients.reportRecipients(Optional.empty(), noClient));
  }

  @Test
  void aRegistrationJournaledBeforeClientsReadsAsNoClientAndNoRecipients() throws Exception {
    var old = new ObjectMapper().findAndRegisterModules().readValue(
        "{\"clientRef\":\"r\",\"type\":\"blood\",\"testsRequested\":[\"cbc\"],\"priority\":\"normal\"}", Specimen.Registration.class);
    assertNull(old.clientId());
    assertEquals(List.of(), old.reportRecipients());
  }

  @Test
  void addressesAreCheckedForWhatAMailServerTakes() {
    for (String good : List.of("ada@acme.example", "a.b+c@sub.acme-labs.example", "x@a.io")) assertTrue(Clients.validEmail(good), good);
    for (String bad : List.of("no-at", "a@b", "a b@c.example", "a@@c.example", "a@-c.example", "<a>@c.example", "a@c.example\n",
        "a".repeat(65) + "@c.example", "a@" + "c".repeat(250) + ".example")) {
      assertTrue(!Clients.validEmail(bad), bad);
    }
  }
}
