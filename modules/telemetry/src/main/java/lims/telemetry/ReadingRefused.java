package lims.telemetry;

/**
 * Why a reading (or, with {@code index} -1, a whole message) was not stored: the adapter's
 * {@code {"error", "seq", "index", "field"}}. {@code seq} is null when the message had none
 * that could be read; {@code field} null when no one field is at fault (both are then left out).
 */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public record ReadingRefused(String error, Long seq, int index, String field) {

  static ReadingRefused whole(Long seq, String field, String error) {
    return new ReadingRefused(error, seq, -1, field);
  }
}
