package lims.specimen;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.kernel.Page;
import lims.kernel.projection.ReadTable;
import lims.kernel.projection.ReadTableHandler;

/** Queries over the {@code client} read table: clients by code, a keyset page at a time. */
public final class ClientReadModel {

  public record ClientRow(String code, String name, String address, List<Client.Contact> contacts, Instant createdAt, Instant updatedAt) {}

  private final ReadTable table;

  public ClientReadModel(ReadTable table) {
    this.table = table;
  }

  /** Clients by code, after the code {@code after} (none: from the first). */
  public CompletionStage<Page<ClientRow>> list(int limit, Optional<String> after) {
    return table.query(c -> {
      String sql = "SELECT code, name, address, contacts, created_at, updated_at FROM client"
          + (after.isPresent() ? " WHERE code > ?" : "") + " ORDER BY code LIMIT ?";
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int i = 1;
        if (after.isPresent()) s.setString(i++, after.get());
        s.setInt(i, limit + 1);
        List<ClientRow> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            rows.add(new ClientRow(rs.getString(1), rs.getString(2), rs.getString(3), ClientProjection.contacts(rs.getString(4)),
                ReadTableHandler.instant(rs, 5), ReadTableHandler.instant(rs, 6)));
          }
        }
        return Page.of(rows, limit, ClientRow::code);
      }
    });
  }
}
