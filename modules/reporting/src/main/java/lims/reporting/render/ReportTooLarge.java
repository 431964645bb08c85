package lims.reporting.render;

/** A report refused by its {@link RenderLimits}; {@link #reason()} says which limit and by how much. */
public final class ReportTooLarge extends RuntimeException {
  private final String reason;

  ReportTooLarge(String reason) {
    super(reason, null, false, false);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
