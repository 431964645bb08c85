package lims.specimen;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import lims.kernel.projection.ReadTableHandler;

/** Keeps the {@code client} read table; exactly once, committed with its offset. */
public final class ClientProjection extends ReadTableHandler<Client.Event> {

  public static final String NAME = "client-read-table";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected void apply(Connection c, Client.Event event) throws SQLException {
    if (event instanceof Client.ClientCreated e) {
      Client.Details d = e.details();
      update(c, "INSERT INTO client (code, name, address, contacts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
          e.code(), d.name(), d.address(), contacts(d.contacts()), ts(e.custody().at()), ts(e.custody().at()));
    } else if (event instanceof Client.ClientUpdated e) {
      Client.Details d = e.details();
      update(c, "UPDATE client SET name = ?, address = ?, contacts = ?, updated_at = ? WHERE code = ?",
          d.name(), d.address(), contacts(d.contacts()), ts(e.custody().at()), e.code());
    }
  }

  /** The contacts as the column holds them: a JSON array of {name, email, receives_reports}. */
  static String contacts(List<Client.Contact> contacts) {
    try {
      return JSON.writeValueAsString(contacts.stream()
          .map(k -> Map.of("name", k.name(), "email", k.email(), "receives_reports", k.receivesReports())).toList());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("contacts are plain text and booleans", e);
    }
  }

  static List<Client.Contact> contacts(String json) {
    try {
      return java.util.Arrays.stream(JSON.readValue(json, Map[].class))
          .map(m -> new Client.Contact((String) m.get("name"), (String) m.get("email"), Boolean.TRUE.equals(m.get("receives_reports"))))
          .toList();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the client table's contacts are not the JSON its projection writes", e);
    }
  }
}
