package lims.specimen;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import lims.kernel.projection.ReadTableSession;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/** Keeps the {@code specimen} read table; exactly once, committed with its offset. */
public final class SpecimenProjection extends JdbcHandler<EventEnvelope<Specimen.Event>, ReadTableSession> {

  public static final String NAME = "specimen-read-table";

  @Override
  public void process(ReadTableSession session, EventEnvelope<Specimen.Event> envelope) throws Exception {
    Specimen.Event event = envelope.event();
    session.withConnection(c -> {
      apply(c, event);
      return null;
    });
  }

  static void apply(Connection c, Specimen.Event event) throws SQLException {
    if (event instanceof Specimen.SpecimenRegistered e) {
      var r = e.registration();
      update(c, "INSERT INTO specimen (id, barcode, client_ref, type, state, priority, replaces, registered_at, updated_at)"
              + " VALUES (?, ?, ?, ?, 'REGISTERED', ?, ?, ?, ?)",
          e.specimenId(), e.barcode(), r.clientRef(), r.type(), r.priority(), r.replacesSpecimenId(), ts(e.custody().at()), ts(e.custody().at()));
    } else if (event instanceof Specimen.SpecimenTransitioned e) {
      update(c, "UPDATE specimen SET state = ?, updated_at = ? WHERE id = ?", e.to().name(), ts(e.custody().at()), e.specimenId());
    } else if (event instanceof Specimen.LocationSet e) {
      update(c, "UPDATE specimen SET plate = ?, well = ?, updated_at = ? WHERE id = ?", e.plate(), e.well(), ts(e.custody().at()), e.specimenId());
    }
  }

  private static void update(Connection c, String sql, Object... values) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) s.setObject(i + 1, values[i]);
      s.executeUpdate();
    }
  }

  static OffsetDateTime ts(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
