package lims.specimen;

import java.sql.Connection;
import java.sql.SQLException;
import lims.kernel.projection.ReadTableHandler;

/** Keeps the {@code specimen} read table; exactly once, committed with its offset. */
public final class SpecimenProjection extends ReadTableHandler<Specimen.Event> {

  public static final String NAME = "specimen-read-table";

  @Override
  protected void apply(Connection c, Specimen.Event event) throws SQLException {
    if (event instanceof Specimen.SpecimenRegistered e) {
      var r = e.registration();
      update(c, "INSERT INTO specimen (id, barcode, client_ref, type, state, priority, replaces, client_id, registered_at, updated_at)"
              + " VALUES (?, ?, ?, ?, 'REGISTERED', ?, ?, ?, ?, ?)",
          e.specimenId(), e.barcode(), r.clientRef(), r.type(), r.priority(), r.replacesSpecimenId(), r.clientId(), ts(e.custody().at()),
          ts(e.custody().at()));
    } else if (event instanceof Specimen.SpecimenTransitioned e && e.to() == SpecimenState.RECEIVED) {
      // The custody hand-over: the list filters by the instant the specimen was received.
      update(c, "UPDATE specimen SET state = ?, received_at = ?, updated_at = ? WHERE id = ?",
          e.to().name(), ts(e.custody().at()), ts(e.custody().at()), e.specimenId());
    } else if (event instanceof Specimen.SpecimenTransitioned e) {
      update(c, "UPDATE specimen SET state = ?, updated_at = ? WHERE id = ?", e.to().name(), ts(e.custody().at()), e.specimenId());
    } else if (event instanceof Specimen.LocationSet e) {
      update(c, "UPDATE specimen SET plate = ?, well = ?, updated_at = ? WHERE id = ?", e.plate(), e.well(), ts(e.custody().at()), e.specimenId());
    }
  }
}
