package lims.specimen;

/** The 15 states of the specimen lifecycle (docs/domain.md, Specimens), plus CANCELLED. Spelled on the wire as written here. */
public enum SpecimenState {
  REGISTERED,
  BARCODED,
  RECEIVED,
  IN_PREPARATION,
  QC_PENDING,
  QC_PASSED,
  QC_FAILED,
  RESAMPLE_REQUESTED,
  IN_EXPERIMENT,
  IN_ANALYSIS,
  ANALYSIS_FAILED,
  IN_REVIEW,
  APPROVED,
  REPORTED,
  DELIVERED,
  CANCELLED
}
