package lims.telemetry;

/**
 * Why a reading (or, with {@code index} -1, a whole message) was not stored: the adapter's
 * {@code {"error", "seq", "index", "field", "retry"}}. {@code seq} is null when the message had
 * none that could be read; {@code field} null when no one field is at fault; {@code retry}
 * true when the cause passes (the database or the device did not answer in time): the batch
 * is not stored and must be sent again, unlike every other refusal, which would only be
 * refused again. Absent values are left out.
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record ReadingRefused(String error, Long seq, int index, String field, Boolean retry) {

  public ReadingRefused(String error, Long seq, int index, String field) {
    this(error, seq, index, field, null);
  }

  static ReadingRefused whole(Long seq, String field, String error) {
    return new ReadingRefused(error, seq, -1, field);
  }

  /** Not stored for a passing reason: send the batch again. */
  static ReadingRefused notNow(Long seq, String error) {
    return new ReadingRefused(error, seq, -1, null, true);
  }
}
