package lims.kernel;

/**
 * A refusal raised by a context's entry point rather than answered by an entity (a report
 * asked for specimens that are not approved, say): the HTTP edge maps its rejection exactly
 * as it maps an entity's {@link Refused} reply.
 */
public final class Refusal extends RuntimeException implements Refused {

  private final transient Rejection rejection;

  public Refusal(Rejection rejection) {
    super(rejection.detail(), null, false, false);
    this.rejection = rejection;
  }

  @Override
  public Rejection rejection() {
    return rejection;
  }
}
