package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lims.analysis.Analysis;
import lims.device.Device;
import lims.kernel.Custody;
import lims.kernel.Role;
import lims.scheduling.LabTest;
import lims.scheduling.LabTestAction;
import lims.scheduling.Schedule;
import lims.security.Principal;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import org.junit.jupiter.api.Test;

/** What a journal event becomes on the event stream, and who may see it (no node needed). */
class DomainChangesTest {

  static final Instant AT = Instant.parse("2026-12-02T07:00:00Z");

  @Test
  void aChangeCarriesTypeEntityIdFirstAndTheFieldsAListNeeds() {
    Map<String, Object> fields = DomainChanges.of(new Specimen.SpecimenTransitioned("SP-2026-000001", "receive", SpecimenState.REGISTERED,
        SpecimenState.RECEIVED, Map.of(), new Custody("tess", "technician", AT, "127.0.0.1", "r-1", null))).orElseThrow().fields();
    assertEquals(List.of("type", "entity", "id", "action", "from", "state", "by", "role", "at"), new ArrayList<>(fields.keySet()),
        "reason is null: left out");
    assertEquals("specimen.transitioned", fields.get("type"));
    assertEquals("RECEIVED", fields.get("state"));
  }

  @Test
  void alarmsAreDeviceChangesNamingTheAlarmAndTheReading() {
    Map<String, Object> raised = DomainChanges.of(new Device.AlarmRaised("incubator-1", "incubator-1~3", "temperature",
        lims.device.telemetry.AlarmKind.HIGH, lims.device.telemetry.Channel.Severity.CRITICAL, 39.4, 39.0, AT, AT.plusSeconds(1)))
        .orElseThrow().fields();
    assertEquals(List.of("type", "entity", "id", "alarm_id", "channel", "kind", "severity", "value", "threshold", "reading_at", "raised_at"),
        new ArrayList<>(raised.keySet()));
    assertEquals("device.alarm_raised", raised.get("type"));
    assertEquals("incubator-1", raised.get("id"));
    assertEquals("device.alarm_cleared",
        DomainChanges.of(new Device.AlarmCleared("incubator-1", "incubator-1~3", 38.6, AT)).orElseThrow().fields().get("type"));
    Map<String, Object> acknowledged = DomainChanges.of(new Device.AlarmAcknowledged("incubator-1", "incubator-1~3", "tess", "door closed", AT))
        .orElseThrow().fields();
    assertEquals("device.alarm_acknowledged", acknowledged.get("type"));
    assertEquals("tess", acknowledged.get("acknowledged_by"));
  }

  @Test
  void aRegisteredSpecimensTypeNeverHidesTheChangesOwnType() {
    Map<String, Object> fields = DomainChanges.of(new Specimen.SpecimenRegistered("SP-2026-000002", "SP20260000020",
        new Specimen.Registration("clinic-9", "serum", List.of("crp"), null, "normal", null),
        new Custody("tess", "technician", AT, "127.0.0.1", "r-2", null))).orElseThrow().fields();
    assertEquals("specimen.registered", fields.get("type"));
    assertEquals("serum", fields.get("specimen_type"));
  }

  @Test
  void aLabTestsTypeDoesNotTakeTheChangesOwnType() {
    LabTest.Definition definition = new LabTest.Definition("Daily calibration", "calibration", "EXP-7", List.of(),
        Schedule.cron("0 0 6 * * ?", "Europe/Berlin"), new LabTestAction("http", Map.of("kind", "http", "url", "http://127.0.0.1:9/")), 3,
        LabTest.FIRE_ONCE);
    Map<String, Object> created = DomainChanges.of(new LabTest.LabTestCreated("LT-0123456789abc", definition, AT, "sam", AT, "t-1"))
        .orElseThrow().fields();
    assertEquals("lab_test.created", created.get("type"));
    assertEquals("calibration", created.get("lab_test_type"));
    assertEquals(Map.of("cron", "0 0 6 * * ?", "timezone", "Europe/Berlin", "description", "every day at 06:00 Europe/Berlin"), created.get("schedule"));
    Map<String, Object> edited = DomainChanges.of(new LabTest.LabTestEdited("LT-0123456789abc", definition, AT, "sam", AT)).orElseThrow().fields();
    assertEquals("lab_test.edited", edited.get("type"));
  }

  @Test
  void aReleaseClearsTheHolderAndAnEndedAnalysisSaysItsStateByTheEntitysOwnRule() {
    Map<String, Object> released = DomainChanges.of(new Device.BookingReleased("reader-1", "WF-0123456789ab", AT, "tess")).orElseThrow().fields();
    assertTrue(released.containsKey("holder_workflow_id") && released.get("holder_workflow_id") == null, released.toString());
    Map<String, Object> result = DomainChanges.of(new Analysis.ResultRecorded("AN-SP-2026-000001-1", "SP-2026-000001", "failed", Map.of(), true, AT))
        .orElseThrow().fields();
    assertEquals("failed", result.get("state"));
    Map<String, Object> late = DomainChanges.of(new Analysis.ResultRecorded("AN-SP-2026-000001-1", "SP-2026-000001", "succeeded", Map.of(), false, AT))
        .orElseThrow().fields();
    assertFalse(late.containsKey("state"), "a late result ends nothing: " + late);
  }

  @Test
  void whatAScreenDoesNotShowGivesNoChange() {
    assertTrue(DomainChanges.of(new Analysis.RemoteSessionEnded("AN-SP-2026-000001-1", AT)).isEmpty());
    assertTrue(DomainChanges.of("not an event").isEmpty());
  }

  @Test
  void aKindOfEntityGoesToTheRolesOfTheRouteThatReadsIt() {
    List<Endpoint> endpoints = new ArrayList<>();
    EventRoutes.READ_ROUTES.forEach((entity, template) -> endpoints.add(new Endpoint(org.apache.pekko.http.javadsl.model.HttpMethods.GET,
        template, entity.equals(DomainChanges.USER) ? Access.roles(Role.ADMIN) : Access.anyRole(), call -> null)));
    Map<String, Set<Role>> readers = EventRoutes.readers(endpoints);
    assertEquals(EnumSet.of(Role.ADMIN), readers.get(DomainChanges.USER));
    assertEquals(EnumSet.allOf(Role.class), readers.get(DomainChanges.DEVICE));
    assertTrue(new Principal("vera", Set.of(Role.VIEWER)).hasAnyRole(readers.get(DomainChanges.SPECIMEN)));

    endpoints.removeIf(e -> e.template().equals("/api/v1/dead-letters"));
    assertThrows(IllegalStateException.class, () -> EventRoutes.readers(endpoints), "a kind whose read route is gone stops the start");
  }
}
