package lims.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The event journal read directly in the database, not through the product: the events of one
 * entity type in each entity's order, decoded from their CBOR payload into JSON trees. An
 * event's type is the simple name of its class (the serializer's manifest names the class).
 */
final class Journal {

  private static final CBORMapper CBOR = new CBORMapper();

  record Event(String entityId, long sequenceNumber, String type, JsonNode body) {}

  private final String url;
  private final String user;

  Journal(String url, String user) {
    this.url = url;
    this.user = user;
  }

  /** Every event of the entity type ("Device"), by entity and sequence number. */
  List<Event> events(String entityType) throws SQLException {
    List<Event> events = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, user, "");
        PreparedStatement s = c.prepareStatement("SELECT persistence_id, sequence_number, event_ser_manifest, event_payload FROM event_journal"
            + " WHERE persistence_id LIKE ? ORDER BY persistence_id, sequence_number")) {
      s.setString(1, entityType + "|%");
      s.setFetchSize(1000);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          String manifest = rs.getString(3);
          events.add(new Event(rs.getString(1).substring(entityType.length() + 1), rs.getLong(2),
              manifest.substring(Math.max(manifest.lastIndexOf('$'), manifest.lastIndexOf('.')) + 1), CBOR.readTree(rs.getBytes(4))));
        }
      } catch (IOException e) {
        throw new IllegalStateException("an event of " + entityType + " is not CBOR", e);
      }
    }
    return events;
  }

  /** The lab tests' events, each as its own: a partition's row holds a group of them (decision 0064). */
  List<Event> labTestEvents() throws SQLException {
    List<Event> events = new ArrayList<>();
    for (Event row : events("LabTestPartition")) {
      for (JsonNode e : row.body().path("events")) {
        String type = e.path("@class").asText();
        events.add(new Event(e.path("labTestId").asText(), row.sequenceNumber(), type.substring(type.lastIndexOf('$') + 1), e));
      }
    }
    return events;
  }

  /** An instant as the journal stores it: seconds with a fraction (decision 0027), or ISO-8601 text from older events; in epoch ms. */
  static long millis(JsonNode instant) {
    if (instant == null || instant.isNull() || instant.isMissingNode()) return 0;
    if (instant.isTextual()) return Instant.parse(instant.asText()).toEpochMilli();
    return instant.decimalValue().movePointRight(3).longValue();
  }
}
