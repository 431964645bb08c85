package lims.specimen;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import lims.kernel.projection.ReadTable;
import lims.kernel.Page;

/** Queries over the {@code specimen} read table: one indexed, keyset-paginated query each. */
public final class SpecimenReadModel {

  public record SpecimenRow(String id, String barcode, String clientRef, String type, String state, String priority, String plate,
      String well, String replaces) {}

  private static final String COLUMNS = "id, barcode, client_ref, type, state, priority, plate, well, replaces";

  private final ReadTable table;

  public SpecimenReadModel(ReadTable table) {
    this.table = table;
  }

  /** By id; optionally in one state, and matching {@code q} as a prefix of id, barcode or client reference. */
  public CompletionStage<Page<SpecimenRow>> list(Optional<String> state, Optional<String> q, int limit, Optional<String> afterId) {
    return table.query(c -> {
      StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM specimen WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      state.ifPresent(s -> {
        sql.append(" AND state = ?");
        args.add(s);
      });
      q.ifPresent(prefix -> {
        String like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        sql.append(" AND (id LIKE ? ESCAPE '\\' OR barcode LIKE ? ESCAPE '\\' OR client_ref LIKE ? ESCAPE '\\')");
        args.addAll(List.of(like, like, like));
      });
      afterId.ifPresent(a -> {
        sql.append(" AND id > ?");
        args.add(a);
      });
      sql.append(" ORDER BY id LIMIT ?");
      args.add(limit + 1);
      try (PreparedStatement s = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) s.setObject(i + 1, args.get(i));
        return Page.of(read(s), limit, SpecimenRow::id);
      }
    });
  }

  public CompletionStage<Optional<SpecimenRow>> byBarcode(String barcode) {
    return table.query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM specimen WHERE barcode = ?")) {
        s.setString(1, barcode);
        return read(s).stream().findFirst();
      }
    });
  }

  /** Which of these barcodes belong to a registered specimen: one query for the whole list. */
  public CompletionStage<Set<String>> existingBarcodes(Collection<String> barcodes) {
    if (barcodes.isEmpty()) return java.util.concurrent.CompletableFuture.completedFuture(Set.of());
    return table.query(c -> {
      String marks = String.join(", ", java.util.Collections.nCopies(barcodes.size(), "?"));
      try (PreparedStatement s = c.prepareStatement("SELECT barcode FROM specimen WHERE barcode IN (" + marks + ")")) {
        int i = 1;
        for (String b : barcodes) s.setString(i++, b);
        Set<String> found = new HashSet<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) found.add(rs.getString(1));
        }
        return found;
      }
    });
  }

  private static List<SpecimenRow> read(PreparedStatement s) throws SQLException {
    List<SpecimenRow> rows = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        rows.add(new SpecimenRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
            rs.getString(7), rs.getString(8), rs.getString(9)));
      }
    }
    return rows;
  }
}
