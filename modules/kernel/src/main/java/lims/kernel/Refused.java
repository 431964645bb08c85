package lims.kernel;

/**
 * An entity's reply that refuses its command. Every entity's {@code Rejected} reply is one,
 * so a caller tells a refusal from an answer in one place (the HTTP edge's {@code Replies})
 * instead of once per entity.
 */
public interface Refused {
  Rejection rejection();
}
