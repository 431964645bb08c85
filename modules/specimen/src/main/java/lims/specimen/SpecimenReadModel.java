package lims.specimen;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import lims.kernel.projection.ReadTable;
import lims.kernel.projection.ReadTableHandler;
import lims.kernel.Page;

/** Queries over the {@code specimen} read table: one indexed, keyset-paginated query each. */
public final class SpecimenReadModel {

  public record SpecimenRow(String id, String barcode, String clientRef, String type, String state, String priority, String plate,
      String well, String replaces, Instant receivedAt, String clientId) {}

  /**
   * What a list may be narrowed to, each part optional: one state; {@code q}, a prefix of id,
   * barcode or client reference; {@code clientRef}, a prefix of the client reference alone;
   * received from (inclusive) and before (exclusive) two instants; {@code clientId}, the code
   * of the client it was registered for (exactly).
   */
  public record Filter(Optional<String> state, Optional<String> q, Optional<String> clientRef, Optional<Instant> receivedFrom,
      Optional<Instant> receivedBefore, Optional<String> clientId) {
    public static final Filter NONE = new Filter(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty());

    /** This filter, for one client's specimens only. */
    public Filter forClient(String code) {
      return new Filter(state, q, clientRef, receivedFrom, receivedBefore, Optional.of(code));
    }
  }

  private static final String COLUMNS = "id, barcode, client_ref, type, state, priority, plate, well, replaces, received_at, client_id";

  private final ReadTable table;

  public SpecimenReadModel(ReadTable table) {
    this.table = table;
  }

  /** By id, narrowed by the filter. */
  public CompletionStage<Page<SpecimenRow>> list(Filter filter, int limit, Optional<String> afterId) {
    return table.query(c -> {
      StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM specimen WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      filter.state().ifPresent(s -> {
        sql.append(" AND state = ?");
        args.add(s);
      });
      filter.q().ifPresent(prefix -> {
        String like = likePrefix(prefix);
        sql.append(" AND (id LIKE ? ESCAPE '\\' OR barcode LIKE ? ESCAPE '\\' OR client_ref LIKE ? ESCAPE '\\')");
        args.addAll(List.of(like, like, like));
      });
      filter.clientRef().ifPresent(prefix -> {
        sql.append(" AND client_ref LIKE ? ESCAPE '\\'");
        args.add(likePrefix(prefix));
      });
      filter.clientId().ifPresent(code -> {
        sql.append(" AND client_id = ?");
        args.add(code);
      });
      filter.receivedFrom().ifPresent(from -> {
        sql.append(" AND received_at >= ?");
        args.add(ReadTableHandler.ts(from));
      });
      filter.receivedBefore().ifPresent(before -> {
        sql.append(" AND received_at < ?");
        args.add(ReadTableHandler.ts(before));
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

  /** A LIKE pattern matching values that start with {@code prefix}, its wildcards taken literally. */
  private static String likePrefix(String prefix) {
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
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
    return existingBarcodes(barcodes, Optional.empty());
  }

  /** The same, among one client's specimens when {@code clientId} is given. */
  public CompletionStage<Set<String>> existingBarcodes(Collection<String> barcodes, Optional<String> clientId) {
    if (barcodes.isEmpty()) return java.util.concurrent.CompletableFuture.completedFuture(Set.of());
    return table.query(c -> {
      String marks = String.join(", ", java.util.Collections.nCopies(barcodes.size(), "?"));
      String sql = "SELECT barcode FROM specimen WHERE barcode IN (" + marks + ")" + (clientId.isPresent() ? " AND client_id = ?" : "");
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int i = 1;
        for (String b : barcodes) s.setString(i++, b);
        if (clientId.isPresent()) s.setString(i, clientId.get());
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
            rs.getString(7), rs.getString(8), rs.getString(9), ReadTableHandler.instant(rs, 10), rs.getString(11)));
      }
    }
    return rows;
  }
}
