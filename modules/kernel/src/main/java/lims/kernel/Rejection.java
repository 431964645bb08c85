package lims.kernel;

import java.util.Map;

/**
 * Why an entity refused a command, in terms the API maps to a status in one place:
 * NOT_FOUND 404, CONFLICT 409, FORBIDDEN 403, INVALID 400. {@code facts} are extra
 * members of the problem body (the current holder of a device, say). Their values cross
 * nodes untyped, so keep them JSON-shaped: an {@code Instant} here would arrive elsewhere as a
 * number (decision 0027); put {@code instant.toString()} instead.
 */
public record Rejection(Kind kind, String detail, Map<String, Object> facts) implements CborSerializable {

  public enum Kind {
    NOT_FOUND,
    CONFLICT,
    FORBIDDEN,
    INVALID
  }

  public static Rejection notFound(String detail) {
    return new Rejection(Kind.NOT_FOUND, detail, Map.of());
  }

  public static Rejection conflict(String detail) {
    return new Rejection(Kind.CONFLICT, detail, Map.of());
  }

  public static Rejection forbidden(String detail) {
    return new Rejection(Kind.FORBIDDEN, detail, Map.of());
  }

  public static Rejection invalid(String detail) {
    return new Rejection(Kind.INVALID, detail, Map.of());
  }
}
