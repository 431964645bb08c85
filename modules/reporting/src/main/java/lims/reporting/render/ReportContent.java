package lims.reporting.render;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one report shows, gathered by the caller before rendering: rendering reads no
 * database and no clock, so the same content renders to the same report (what an inspector
 * is shown is what was sent). One report covers one specimen or a test batch of one client.
 *
 * @param reportId the report's id, on every page
 * @param version 1 for the first rendering; a re-render is a new version
 * @param generatedAt when the report was generated (shown on its first page)
 * @param zone the zone every instant is displayed in (named once in the header)
 * @param lab the laboratory's header (from configuration)
 * @param client the client the specimens were registered for; {@code null} when none
 * @param specimens at least one
 */
public record ReportContent(
    String reportId, int version, Instant generatedAt, ZoneId zone, Lab lab, Client client, List<Specimen> specimens) {

  public ReportContent {
    requireText(reportId, "reportId");
    if (version < 1) throw new IllegalArgumentException("version must be 1 or more, was " + version);
    Objects.requireNonNull(generatedAt, "generatedAt");
    Objects.requireNonNull(zone, "zone");
    Objects.requireNonNull(lab, "lab");
    specimens = List.copyOf(specimens);
    if (specimens.isEmpty()) throw new IllegalArgumentException("a report covers at least one specimen");
  }

  /**
   * The laboratory's header.
   *
   * @param address lines as printed (street, city, country…)
   * @param accreditation e.g. "ISO/IEC 17025:2017 accredited, DAkkS D-PL-12345-01-00"; may be blank
   * @param logoPng a PNG image, or {@code null} for none
   */
  public record Lab(String name, List<String> address, String accreditation, byte[] logoPng) {
    public Lab {
      requireText(name, "lab name");
      address = address == null ? List.of() : List.copyOf(address);
      accreditation = accreditation == null ? "" : accreditation;
    }
  }

  /** The client: its code (printed on the report), name, address lines and the contacts the report is for. */
  public record Client(String code, String name, List<String> address, List<Contact> contacts) {
    public Client {
      requireText(code, "client code");
      name = name == null ? "" : name;
      address = address == null ? List.of() : List.copyOf(address);
      contacts = contacts == null ? List.of() : List.copyOf(contacts);
    }
  }

  public record Contact(String name, String email) {}

  /**
   * One specimen of the report.
   *
   * @param collectedAt {@code null} when not recorded
   * @param receivedAt {@code null} when not recorded
   * @param result the analysis result document as the pipeline wrote it (see {@link ResultRows}); empty when none
   * @param approval who approved the results; {@code null} shows "not approved"
   * @param custody the chain-of-custody summary, oldest first
   */
  public record Specimen(
      String id, String barcode, String type, Instant collectedAt, Instant receivedAt, List<String> testsRequested,
      Map<String, Object> result, Approval approval, List<CustodyLine> custody) {
    public Specimen {
      requireText(id, "specimen id");
      requireText(barcode, "barcode");
      type = type == null ? "" : type;
      testsRequested = testsRequested == null ? List.of() : List.copyOf(testsRequested);
      result = result == null ? Map.of() : result;
      custody = custody == null ? List.of() : List.copyOf(custody);
    }
  }

  /** The reviewer who approved the specimen's results, and when. */
  public record Approval(String reviewer, Instant at) {}

  /**
   * One line of the chain of custody: an action, the states it moved between, who took it, when.
   *
   * @param from the state before; blank for registration
   */
  public record CustodyLine(String action, String from, String to, String user, Instant at) {}

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) throw new IllegalArgumentException(name + " is required");
  }
}
