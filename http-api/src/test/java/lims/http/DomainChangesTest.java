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
  void aRegisteredSpecimensTypeNeverHidesTheChangesOwnType() {
    Map<String, Object> fields = DomainChanges.of(new Specimen.SpecimenRegistered("SP-2026-000002", "SP20260000020",
        new Specimen.Registration("clinic-9", "serum", List.of("crp"), null, "normal", null),
        new Custody("tess", "technician", AT, "127.0.0.1", "r-2", null))).orElseThrow().fields();
    assertEquals("specimen.registered", fields.get("type"));
    assertEquals("serum", fields.get("specimen_type"));
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
