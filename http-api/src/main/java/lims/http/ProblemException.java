package lims.http;

import java.util.List;
import java.util.Map;

/**
 * A request the API answers with an RFC 9457 problem instead of its normal result. Thrown
 * by handlers and validation; the pipeline renders it, so no handler builds error bodies.
 */
public final class ProblemException extends RuntimeException {

  private final int status;
  private final String type;
  private final String title;
  private final List<FieldError> errors;
  private final Map<String, String> headers;
  private final Map<String, Object> extensions;

  public ProblemException(int status, String type, String title, String detail, List<FieldError> errors, Map<String, String> headers) {
    this(status, type, title, detail, errors, headers, Map.of());
  }

  private ProblemException(int status, String type, String title, String detail, List<FieldError> errors,
      Map<String, String> headers, Map<String, Object> extensions) {
    super(detail);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = List.copyOf(errors);
    this.headers = Map.copyOf(headers);
    this.extensions = Map.copyOf(extensions);
  }

  /** The one mapping of an entity's refusal to an HTTP status; its facts become problem members. */
  public static ProblemException of(lims.kernel.Rejection rejection) {
    return switch (rejection.kind()) {
      case NOT_FOUND -> new ProblemException(404, "not-found", "Not found", rejection.detail(), named(rejection), Map.of(), rejection.facts());
      case CONFLICT -> new ProblemException(409, "conflict", "Conflict", rejection.detail(), List.of(), Map.of(), rejection.facts());
      case FORBIDDEN -> new ProblemException(403, "forbidden", "Forbidden", rejection.detail(), List.of(), Map.of(), rejection.facts());
      case INVALID -> new ProblemException(400, "invalid", "Bad request", rejection.detail(), List.of(), Map.of(), rejection.facts());
    };
  }

  /** The field a refusal names (its fact {@code field}), as the problem's error, so a form can show it beside the field. */
  private static List<FieldError> named(lims.kernel.Rejection rejection) {
    return rejection.facts().get("field") instanceof String field ? List.of(new FieldError(field, rejection.detail())) : List.of();
  }

  /** 404 for a value of {@code field} that names nothing (an unknown client, say). */
  public static ProblemException notFound(String field, String detail) {
    return new ProblemException(404, "not-found", "Not found", detail, List.of(new FieldError(field, detail)), Map.of());
  }

  public static ProblemException invalid(List<FieldError> errors) {
    String detail =
        errors.size() == 1
            ? errors.get(0).field() + ": " + errors.get(0).message()
            : errors.size() + " fields are invalid";
    return new ProblemException(400, "validation", "Invalid request", detail, errors, Map.of());
  }

  public static ProblemException invalid(String field, String message) {
    return invalid(List.of(new FieldError(field, message)));
  }

  public static ProblemException badRequest(String type, String detail) {
    return new ProblemException(400, type, "Bad request", detail, List.of(), Map.of());
  }

  public static ProblemException unauthorized(String detail) {
    return new ProblemException(
        401, "unauthorized", "Unauthorized", detail, List.of(), Map.of("WWW-Authenticate", "Bearer realm=\"lims\""));
  }

  public static ProblemException forbidden(String detail) {
    return new ProblemException(403, "forbidden", "Forbidden", detail, List.of(), Map.of());
  }

  public static ProblemException notFound(String detail) {
    return new ProblemException(404, "not-found", "Not found", detail, List.of(), Map.of());
  }

  public static ProblemException conflict(String detail) {
    return new ProblemException(409, "conflict", "Conflict", detail, List.of(), Map.of());
  }

  public static ProblemException tooManyRequests(String detail, long retryAfterSeconds) {
    return new ProblemException(
        429, "too-many-requests", "Too many requests", detail, List.of(), Map.of("Retry-After", Long.toString(retryAfterSeconds)));
  }

  public static ProblemException unavailable(String detail) {
    return unavailable(detail, Map.of());
  }

  /** 503 with extra members (a readiness report's checks). */
  public static ProblemException unavailable(String detail, Map<String, Object> extensions) {
    return new ProblemException(503, "unavailable", "Service unavailable", detail, List.of(), Map.of("Retry-After", "1"), extensions);
  }

  public int status() {
    return status;
  }

  /** The slug of the problem type; rendered as {@code urn:lims:problem:<slug>}. */
  public String type() {
    return type;
  }

  public String title() {
    return title;
  }

  public String detail() {
    return getMessage();
  }

  public List<FieldError> errors() {
    return errors;
  }

  public Map<String, String> headers() {
    return headers;
  }

  /** Extra members of the problem body, such as the current holder of a device. */
  public Map<String, Object> extensions() {
    return extensions;
  }
}
