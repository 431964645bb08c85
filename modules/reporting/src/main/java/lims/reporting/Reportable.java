package lims.reporting;

import java.util.EnumSet;
import java.util.Set;
import lims.specimen.SpecimenState;

/** Which specimens a report covers: the one home of these state sets. */
final class Reportable {

  private Reportable() {}

  /** A report may show a specimen in these states: approved, or reported before (a new version). */
  static final Set<SpecimenState> STATES = EnumSet.of(SpecimenState.APPROVED, SpecimenState.REPORTED, SpecimenState.DELIVERED);

  /** A specimen that left the lab's work this way is left out of its batch's report (and does not hold it back). */
  static final Set<SpecimenState> LEFT_OUT = EnumSet.of(SpecimenState.CANCELLED, SpecimenState.RESAMPLE_REQUESTED);
}
