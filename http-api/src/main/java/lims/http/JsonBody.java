package lims.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import lims.kernel.Instants;

/**
 * A request's JSON object, read field by field. Each read names the field it checks, and
 * every problem found is collected, so one 400 lists all of them; {@link #finish()} also
 * refuses fields the endpoint does not know (a misspelt optional field must not be
 * silently ignored).
 */
public final class JsonBody {

  /**
   * How deep a body may nest (decision 0032). Lab data nests a few levels; a value nested
   * hundreds deep would overflow the stack of code that walks it, or be journaled as an
   * event the serializer cannot read back.
   */
  static final int MAX_NESTING = 32;
  /**
   * Parses bodies within {@link #MAX_NESTING}, deeper refused while parsing, before anything
   * walks the body; and refuses a field given twice, which would otherwise keep the second
   * value silently (a client that meant the first would never know).
   */
  private static final JsonFactory BODIES = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private final ObjectNode root;
  /** Where {@link #root} is in the body: "" for the body itself, "schedule." for its field schedule. */
  private final String path;
  private final List<FieldError> errors;
  private final Set<String> read = new HashSet<>();

  private JsonBody(ObjectNode root, String path, List<FieldError> errors) {
    this.root = root;
    this.path = path;
    this.errors = errors;
  }

  static JsonBody parse(ObjectMapper mapper, byte[] bytes) {
    if (bytes.length == 0) {
      throw ProblemException.badRequest("malformed-json", "the request needs a JSON object body");
    }
    JsonNode node;
    try (JsonParser parser = BODIES.createParser(bytes)) {
      try {
        node = mapper.readTree(parser);
        // One value per body: a second object after the first would be dropped without a word.
        if (parser.nextToken() != null) {
          throw ProblemException.badRequest("malformed-json", "the body holds more after its JSON value, at line "
              + parser.currentLocation().getLineNr() + ", column " + parser.currentLocation().getColumnNr());
        }
      } catch (JsonProcessingException e) {
        throw malformed(e, parser);
      }
    } catch (java.io.IOException e) {
      throw ProblemException.badRequest("malformed-json", "the body could not be read");
    }
    if (!(node instanceof ObjectNode object)) {
      throw ProblemException.badRequest("malformed-json", "the body must be a JSON object");
    }
    List<FieldError> unstorable = new ArrayList<>();
    findUnstorable(object, null, unstorable);
    if (!unstorable.isEmpty()) throw ProblemException.invalid(unstorable);
    return new JsonBody(object, "", new ArrayList<>());
  }

  /**
   * A body the parser refused: where it stopped, and the field it was reading then, so the
   * answer names the field as for any other invalid value.
   */
  private static ProblemException malformed(JsonProcessingException e, JsonParser parser) {
    JsonLocation at = parser.currentLocation();
    String where = " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    JsonStreamContext context = parser.getParsingContext();
    boolean duplicate = String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field"); // Jackson's wording: no type of its own
    String problem = duplicate ? (context.getParent().inRoot() ? "is given twice" : "has the field " + printable(context.getCurrentName()) + " twice")
        : !(e instanceof StreamConstraintsException) ? "is not valid JSON"
        : context.getNestingDepth() > MAX_NESTING ? "nests deeper than " + MAX_NESTING + " levels"
        : "holds a key or a number too long to read";
    Optional<String> field = topLevelField(parser, duplicate);
    if (field.isEmpty()) return ProblemException.badRequest("malformed-json", "the body " + problem + where);
    return new ProblemException(400, "malformed-json", "Bad request", field.get() + ": " + problem + where,
        List.of(new FieldError(field.get(), problem + where)), java.util.Map.of());
  }

  /**
   * The field of the body's object whose value the parser was reading, if any: it was inside a
   * nested value, or had just read the field's name (a name given twice is refused as it is
   * read). Stopped at the top level after a value, it was reading the next key, and names none.
   */
  private static Optional<String> topLevelField(JsonParser parser, boolean duplicate) {
    JsonStreamContext context = parser.getParsingContext();
    if (context == null || context.inRoot()) return Optional.empty();
    if (context.getParent().inRoot() && !duplicate && parser.currentToken() != JsonToken.FIELD_NAME) return Optional.empty();
    while (!context.getParent().inRoot()) context = context.getParent();
    return context.inObject() ? Optional.ofNullable(context.getCurrentName()).map(JsonBody::printable) : Optional.empty();
  }

  /**
   * Text no database column can hold, though it is valid JSON: the NUL character (PostgreSQL
   * text cannot hold it, decision 0029) and a lone half of a surrogate pair (the \\ud800
   * escape alone: no Unicode character, which the event serializer refuses, decision 0032).
   * A value carrying either would fail to be journaled, or be journaled and then stop the
   * read-table projection that cannot write it, for every entity on its tag. So both are
   * refused anywhere in a body, strings and keys, by path ({@code path}: where {@code node}
   * is, null for the body itself).
   */
  private static void findUnstorable(JsonNode node, String path, List<FieldError> found) {
    if (node.isTextual()) {
      unstorable(node.textValue()).ifPresent(problem -> found.add(new FieldError(path, problem)));
    } else if (node.isObject()) {
      node.fields().forEachRemaining(f -> {
        String at = path == null ? f.getKey() : path + "." + f.getKey();
        Optional<String> key = unstorable(f.getKey());
        if (key.isPresent()) found.add(new FieldError(printable(at), key.get()));
        else findUnstorable(f.getValue(), at, found);
      });
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) findUnstorable(node.get(i), path + "[" + i + "]", found);
    }
  }

  private static Optional<String> unstorable(String text) {
    if (text.indexOf('\0') >= 0) return Optional.of("must not contain the NUL character (\\u0000)");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) i++;
      else if (Character.isSurrogate(c)) return Optional.of("must not contain half a surrogate pair (\\ud800-\\udfff alone)");
    }
    return Optional.empty();
  }

  /** {@code text} with NUL and lone surrogates as \\u escapes, so that an answer naming it is itself valid text. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
      if (pair) out.append(c).append(text.charAt(++i));
      else if (c == '\0' || Character.isSurrogate(c)) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.toString();
  }

  public String requiredString(String field, int maxLength) {
    return string(field, maxLength, true);
  }

  public Optional<String> optionalString(String field, int maxLength) {
    return Optional.ofNullable(string(field, maxLength, false));
  }

  /** A required array of strings, each mapped by {@code parse}; a failed parse names {@code field[i]}. */
  public <T> List<T> requiredList(String field, int maxItems, Function<String, Optional<T>> parse, String expected) {
    JsonNode node = take(field);
    if (node == null || node.isNull()) {
      errors.add(new FieldError(path + field, "is required"));
      return List.of();
    }
    if (!node.isArray()) {
      errors.add(new FieldError(path + field, "must be an array"));
      return List.of();
    }
    if (node.size() > maxItems) {
      errors.add(new FieldError(path + field, "must have at most " + maxItems + " items"));
      return List.of();
    }
    List<T> values = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode item = node.get(i);
      Optional<T> value = item.isTextual() ? parse.apply(item.textValue()) : Optional.empty();
      if (value.isEmpty()) {
        errors.add(new FieldError(path + field + "[" + i + "]", "must be " + expected));
      } else {
        values.add(value.get());
      }
    }
    return values;
  }

  /** An optional array of strings; absent or null is an empty list. */
  public <T> List<T> optionalList(String field, int maxItems, Function<String, Optional<T>> parse, String expected) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      read.add(field);
      return List.of();
    }
    return requiredList(field, maxItems, parse, expected);
  }

  /** An optional JSON object of parameters, as plain maps, lists, strings, numbers and booleans. */
  public java.util.Map<String, Object> optionalObject(String field, ObjectMapper mapper) {
    return optionalObject(field, mapper, Integer.MAX_VALUE);
  }

  /** The same, at most {@code maxChars} characters of JSON (measured on the parsed node, not re-serialized from the map). */
  public java.util.Map<String, Object> optionalObject(String field, ObjectMapper mapper, int maxChars) {
    JsonNode node = take(field);
    if (node == null || node.isNull()) return java.util.Map.of();
    if (!node.isObject()) {
      errors.add(new FieldError(path + field, "must be an object"));
      return java.util.Map.of();
    }
    if (maxChars < Integer.MAX_VALUE && node.toString().length() > maxChars) {
      errors.add(new FieldError(path + field, "must be at most " + maxChars + " characters of JSON"));
      return java.util.Map.of();
    }
    return mapper.convertValue(node, new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>>() {});
  }

  /** A required string that must match a pattern; {@code rule} says in words what it must be. */
  public String requiredMatching(String field, java.util.regex.Pattern pattern, String rule) {
    String value = requiredString(field, 200);
    if (value != null && !pattern.matcher(value).matches()) {
      errors.add(new FieldError(path + field, "must be " + rule));
      return null;
    }
    return value;
  }

  /** A required enumerated value, by its wire name. */
  public <T> T requiredEnum(String field, Function<String, Optional<T>> parse, String expected) {
    String value = requiredString(field, 64);
    if (value == null) return null;
    Optional<T> parsed = parse.apply(value);
    if (parsed.isEmpty()) errors.add(new FieldError(path + field, "must be one of " + expected));
    return parsed.orElse(null);
  }

  /**
   * A nested object, read like the body: its reads and refusals name {@code field.name}, and
   * its problems are this body's, thrown together by {@link #finish()}. Null, with
   * {@code field} refused as {@code required} says, when it is missing or not an object.
   */
  public JsonBody object(String field, String required) {
    JsonNode node = take(field);
    if (node == null || !node.isObject()) {
      reject(field, required);
      return null;
    }
    return new JsonBody((ObjectNode) node, path + field + ".", errors);
  }

  /**
   * An optional array of objects (absent or null: none), each read like the body: its reads
   * and refusals name {@code field[i].name}, and its problems are this body's. Call
   * {@link #refuseUnknown()} on each after reading it.
   */
  public List<JsonBody> optionalObjects(String field, int maxItems) {
    JsonNode node = take(field);
    if (node == null || node.isNull()) return List.of();
    if (!node.isArray() || node.size() > maxItems) {
      reject(field, "must be an array of at most " + maxItems + " objects");
      return List.of();
    }
    List<JsonBody> items = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      if (node.get(i) instanceof ObjectNode item) items.add(new JsonBody(item, path + field + "[" + i + "].", errors));
      else errors.add(new FieldError(path + field + "[" + i + "]", "must be an object"));
    }
    return items;
  }

  /** Whether the object gives {@code field} (also as null); reads nothing. */
  public boolean has(String field) {
    return root.has(field);
  }

  /** How many fields the object gives. */
  public int size() {
    return root.size();
  }

  /** The object as it was sent, in JSON. */
  public String json() {
    return root.toString();
  }

  /** The object's fields as plain maps, lists, strings, numbers and booleans (nulls kept); every field counts as known. */
  public java.util.Map<String, Object> asMap(ObjectMapper mapper) {
    root.fieldNames().forEachRemaining(read::add);
    return mapper.convertValue(root, new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>>() {});
  }

  /** {@code field}'s text when it is a string of at most {@code maxLength} characters; otherwise null, and nothing refused (the caller says why). */
  public String text(String field, int maxLength) {
    JsonNode node = take(field);
    return node != null && node.isTextual() && node.textValue().length() <= maxLength ? node.textValue() : null;
  }

  /** An optional integer from {@code min} to {@code max}; {@code fallback} when absent, null or refused. */
  public int optionalInt(String field, int fallback, int min, int max) {
    JsonNode node = take(field);
    if (node == null || node.isNull()) return fallback;
    if (!node.isInt() || node.asInt() < min || node.asInt() > max) {
      reject(field, "must be an integer from " + min + " to " + max);
      return fallback;
    }
    return node.asInt();
  }

  /** A field the route parses itself (a list of mixed shapes, say); it counts as known. Null when absent. */
  public JsonNode raw(String field) {
    return take(field);
  }

  public Optional<Boolean> optionalBoolean(String field) {
    JsonNode node = take(field);
    if (node == null || node.isNull()) return Optional.empty();
    if (!node.isBoolean()) {
      errors.add(new FieldError(path + field, "must be true or false"));
      return Optional.empty();
    }
    return Optional.of(node.booleanValue());
  }

  /** {@code text} as an instant ({@link Instants}); null, with {@code field} rejected, when it is not one. */
  public Instant instant(String field, String text) {
    try {
      return Instants.parse(text);
    } catch (IllegalArgumentException e) {
      reject(field, "must be " + Instants.RULE);
      return null;
    }
  }

  /** Records a problem found by the caller's own rule (a weak password, say). */
  public void reject(String field, String message) {
    errors.add(new FieldError(path + field, message));
  }

  /**
   * The caller's own rule for a value read from {@code field}: {@code problem} says what is
   * wrong with it, if anything, and the value becomes null. A value already refused (null:
   * missing, null or of the wrong type) is not checked again, so no rule has to expect one.
   */
  public <T> T check(String field, T value, Function<T, Optional<String>> problem) {
    if (value == null) return null;
    Optional<String> wrong = problem.apply(value);
    wrong.ifPresent(message -> reject(field, message));
    return wrong.isPresent() ? null : value;
  }

  /** Records every field of this object not read as unknown (a nested object's; the body's own are in {@link #finish()}). */
  public void refuseUnknown() {
    Iterator<String> names = root.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!read.contains(name)) {
        errors.add(new FieldError(path + name, "is not a known field"));
      }
    }
  }

  /** Throws one 400 naming every invalid and every unknown field. */
  public void finish() {
    refuseUnknown();
    if (!errors.isEmpty()) {
      throw ProblemException.invalid(errors);
    }
  }

  private String string(String field, int maxLength, boolean required) {
    JsonNode node = take(field);
    if (node == null || node.isNull()) {
      if (required) errors.add(new FieldError(path + field, "is required"));
      return null;
    }
    if (!node.isTextual()) {
      errors.add(new FieldError(path + field, "must be a string"));
      return null;
    }
    String value = node.textValue();
    if (required && value.isBlank()) {
      errors.add(new FieldError(path + field, "must not be blank"));
      return null;
    }
    if (value.length() > maxLength) {
      errors.add(new FieldError(path + field, "must be at most " + maxLength + " characters"));
      return null;
    }
    return value;
  }

  private JsonNode take(String field) {
    read.add(field);
    return root.get(field);
  }
}
