package lims.http;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Hostile requests for one documented operation, each with what its answer must be: the
 * documented example; that example broken one way at a time (no body, no object, every
 * required field missing, each field null, of every other JSON type, 100 KiB long, with a NUL
 * or half a surrogate pair, nested past the limit and 10,000 deep, an unknown field, array items of the wrong type); its path and query
 * parameters empty, huge, percent-encoded traversal and invalid UTF-8; and random mixes of
 * these drawn from a seeded generator, so a failing run can be replayed.
 */
final class HostileRequests {

  /** What an answer must be. Every answer is below 500, and a 4xx is problem+json. */
  enum Expect {
    /** The documented example: not refused as invalid input (400, 413, 415), whatever the stored state says. */
    WELL_FORMED,
    /** Invalid input: 400, 413 or 415; a 400 names one of the case's fields, when it has any. */
    INVALID,
    /** Any 4xx; a 400 names one of the case's fields. */
    REFUSED,
    /** Anything but a server error; a 400 names one of the case's fields. */
    ANY
  }

  /** One request. {@code raw}: sent as it is over a socket (its target is no valid URI, so no client library would send it). */
  record Case(String what, String method, String target, String contentType, byte[] body, boolean raw, Expect expect, List<String> fields) {

    String describe() {
      String text = body == null ? "" : new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
      String shortTarget = target.length() > 300 ? target.substring(0, 300) + "...(" + target.length() + " chars)" : target;
      return what + ": " + method + " " + shortTarget + (body == null ? "" : " " + contentType + " " + text
          + (body.length > 300 ? "...(" + body.length + " bytes)" : ""));
    }
  }

  static final int HUGE = 100 * 1024;
  static final int DEEP = 10_000;
  /** pekko.http.server.parsing.max-uri-length. */
  private static final int MAX_URI = 2048;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** Everything beyond ASCII goes as \\u escapes, so a lone surrogate reaches the server as the JSON text says. */
  private static final ObjectMapper WRITER = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
  private static final String JSON = "application/json";
  /** Path and query values no route can take for a well-formed one. */
  private static final List<String> HOSTILE_PARAMETERS = List.of("..", "%2e%2e", "..%2F..%2F..%2Fetc%2Fpasswd", "%2F", "%00", "%FF%FE",
      "%C0%AE%C0%AE", "%C3%28", "%ED%A0%80", "%E2%80%AE", "a%20b", "%25", "%0D%0ASet-Cookie:%20x=1");
  private static final List<String> NUMBER_TEXTS = List.of("0", "-1", "2147483648", "9223372036854775808", "-9223372036854775809",
      "1e400", "-1e-400", "1.5", "-0", "123456789012345678901234567890.5", "1E2");

  private final JsonNode document;
  private final Random random;

  HostileRequests(JsonNode document, Random random) {
    this.document = document;
    this.random = random;
  }

  /** Every case for {@code operation}, with {@code randomCount} random ones among them. */
  List<Case> of(DocumentedOperation operation, int randomCount) {
    List<Case> cases = new ArrayList<>();
    if (operation.bodySchema() != null) cases.addAll(bodyCases(operation));
    cases.addAll(pathCases(operation));
    cases.addAll(queryCases(operation));
    for (int i = 0; i < randomCount; i++) cases.add(randomCase(operation));
    return cases;
  }

  /** The parameters and body fields without an example, so no well-formed request can be built: the document must give one. */
  static List<String> missingExamples(DocumentedOperation operation) {
    List<String> missing = new ArrayList<>();
    operation.in("path").stream().filter(p -> p.example() == null).forEach(p -> missing.add(operation.key() + " path parameter " + p.name()));
    if (operation.bodySchema() != null && !operation.bodySchema().path("example").isObject()) missing.add(operation.key() + " request body");
    return missing;
  }

  // --- bodies ---------------------------------------------------------------------------

  private List<Case> bodyCases(DocumentedOperation op) {
    List<Case> cases = new ArrayList<>();
    Map<String, JsonNode> properties = op.properties(document);
    Set<String> required = op.required();
    ObjectNode example = example(op);
    cases.add(body(op, "the documented example", example, Expect.WELL_FORMED));
    cases.add(body(op, "{}", NODES.objectNode(), required.isEmpty() ? Expect.ANY : Expect.INVALID, List.copyOf(required)));
    for (String field : required) {
      ObjectNode without = example.deepCopy();
      without.remove(field);
      cases.add(body(op, "without required " + field, without, Expect.INVALID, field));
    }
    Set<String> fields = new LinkedHashSet<>(properties.keySet());
    example.fieldNames().forEachRemaining(fields::add);
    for (String field : fields) {
      String type = properties.getOrDefault(field, NODES.objectNode()).path("type").asText(null);
      cases.add(body(op, field + " null", with(example, field, NODES.nullNode()), required.contains(field) ? Expect.INVALID : Expect.ANY, field));
      for (Map.Entry<String, JsonNode> kind : kinds().entrySet()) {
        if (type != null && !matches(type, kind.getValue())) {
          cases.add(body(op, field + " as " + kind.getKey(), with(example, field, kind.getValue()), Expect.INVALID, field));
        }
      }
      cases.add(body(op, field + " a 100 KiB string", with(example, field, NODES.textNode("x".repeat(HUGE))), Expect.INVALID, field));
      cases.add(body(op, field + " with a NUL", with(example, field, NODES.textNode("fu\u0000zz")), Expect.INVALID, field));
      cases.add(body(op, field + " with half a surrogate pair", with(example, field, NODES.textNode("fu\ud800zz")), Expect.INVALID, field));
      cases.add(body(op, field + " nested " + DEEP + " deep", with(example, field, NODES.rawValueNode(new RawValue(deepArray()))), Expect.INVALID, field));
      int deepest = JsonBody.MAX_NESTING - 1; // the body's own object is the first level
      cases.add(body(op, field + " nested to the limit", with(example, field, NODES.rawValueNode(new RawValue(deepObject(deepest)))), Expect.ANY, field));
      cases.add(body(op, field + " nested past the limit", with(example, field, NODES.rawValueNode(new RawValue(deepObject(deepest + 1)))),
          Expect.INVALID, field));
      JsonNode items = DocumentedOperation.resolve(document, properties.getOrDefault(field, NODES.objectNode()).path("items"));
      if ("array".equals(type) && items.has("type")) {
        for (JsonNode item : List.of(NODES.nullNode(), NODES.numberNode(7), NODES.objectNode(), NODES.arrayNode(), NODES.textNode("fu\u0000zz"),
            NODES.textNode("x".repeat(HUGE)))) {
          if (!matches(items.get("type").asText(), item) || item.isTextual()) {
            cases.add(body(op, field + " item " + abbreviate(item), with(example, field, NODES.arrayNode().add(item)), Expect.INVALID, field));
          }
        }
      }
    }
    cases.add(body(op, "an unknown field", with(example, "fuzz_unknown", NODES.textNode("x")), Expect.INVALID, "fuzz_unknown"));
    String first = example.fieldNames().hasNext() ? example.fieldNames().next() : "fuzz_unknown";
    cases.add(bytes(op, "a field given twice, null first", json(example).replaceFirst("\\{", "{\"" + first + "\":null,"), Expect.INVALID, List.of(first)));
    cases.add(bytes(op, "a second object after the body", json(example) + "{\"fuzz\":1}", Expect.INVALID, List.of()));
    for (String notAnObject : List.of("[]", "[" + json(example) + "]", "\"text\"", "42", "null", "true")) {
      cases.add(bytes(op, "the body " + abbreviate(notAnObject), notAnObject, Expect.INVALID, List.of()));
    }
    cases.add(bytes(op, "an empty body", "", op.bodyRequired() ? Expect.INVALID : Expect.ANY, List.of()));
    cases.add(bytes(op, "truncated JSON", json(example).substring(0, json(example).length() / 2), Expect.INVALID, List.of()));
    cases.add(bytes(op, "the body nested " + DEEP + " deep", deepObject(DEEP), Expect.INVALID, List.of("a")));
    cases.add(bytes(op, "the body an array nested " + DEEP + " deep", deepArray(), Expect.INVALID, List.of()));
    byte[] invalidUtf8 = ("{\"" + first + "\":\"\u00ff\"}").getBytes(StandardCharsets.ISO_8859_1);
    cases.add(new Case("invalid UTF-8", op.method(), wellFormedTarget(op), JSON, invalidUtf8, false, Expect.INVALID, List.of()));
    cases.add(new Case("sent as text/plain", op.method(), wellFormedTarget(op), "text/plain", json(example).getBytes(StandardCharsets.UTF_8),
        false, Expect.INVALID, List.of()));
    ObjectNode oversized = with(example, "fuzz_padding", NODES.textNode("x".repeat(1_100_000)));
    cases.add(body(op, "over the 1 MiB body limit", oversized, Expect.INVALID));
    return cases;
  }

  private Case body(DocumentedOperation op, String what, JsonNode body, Expect expect, String... fields) {
    return body(op, what, body, expect, List.of(fields));
  }

  private Case body(DocumentedOperation op, String what, JsonNode body, Expect expect, List<String> fields) {
    return bytes(op, what, json(body), expect, fields);
  }

  private Case bytes(DocumentedOperation op, String what, String body, Expect expect, List<String> fields) {
    return new Case(what, op.method(), wellFormedTarget(op), JSON, body.getBytes(StandardCharsets.UTF_8), false, expect, fields);
  }

  private static ObjectNode with(ObjectNode example, String field, JsonNode value) {
    ObjectNode copy = example.deepCopy();
    copy.set(field, value);
    return copy;
  }

  private ObjectNode example(DocumentedOperation op) {
    return (ObjectNode) op.bodySchema().get("example").deepCopy();
  }

  /** One sample of each JSON type, by the name a schema's {@code type} gives it; in a fixed order, so that a seed replays a run. */
  private static Map<String, JsonNode> kinds() {
    Map<String, JsonNode> kinds = new LinkedHashMap<>();
    kinds.put("string", NODES.textNode("fuzz"));
    kinds.put("integer", NODES.numberNode(7));
    kinds.put("number", NODES.numberNode(7.5));
    kinds.put("boolean", NODES.booleanNode(true));
    kinds.put("object", NODES.objectNode().put("fuzz", 1));
    kinds.put("array", NODES.arrayNode().add("fuzz"));
    return kinds;
  }

  private static boolean matches(String type, JsonNode value) {
    return switch (type) {
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      default -> true;
    };
  }

  private static String deepObject(int depth) {
    return "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
  }

  private static String deepArray() {
    return "[".repeat(DEEP) + "]".repeat(DEEP);
  }

  static String json(JsonNode node) {
    try {
      return WRITER.writeValueAsString(node);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String abbreviate(Object value) {
    String text = String.valueOf(value);
    return text.length() > 40 ? text.substring(0, 40) + "..." : text;
  }

  // --- path and query -------------------------------------------------------------------

  /** The template with each path parameter's example. */
  private static String wellFormedTarget(DocumentedOperation op) {
    return target(op, null, null);
  }

  private static String target(DocumentedOperation op, String parameter, String value) {
    String target = op.template();
    for (DocumentedOperation.Parameter p : op.in("path")) {
      target = target.replace("{" + p.name() + "}", p.name().equals(parameter) ? value : p.example().asText());
    }
    return target;
  }

  private List<Case> pathCases(DocumentedOperation op) {
    List<Case> cases = new ArrayList<>();
    for (DocumentedOperation.Parameter p : op.in("path")) {
      List<String> values = new ArrayList<>(HOSTILE_PARAMETERS);
      values.add("");
      values.add("a".repeat(1_000));
      values.add("a".repeat(10_000));
      for (String value : values) {
        // An empty last segment is dropped, and the path then names the collection: that is no refusal.
        Expect expect = value.isEmpty() ? Expect.ANY : Expect.REFUSED;
        cases.add(withTarget(op, "path " + p.name() + " " + abbreviate(value), target(op, p.name(), value), expect, namedIfParsed(value, p)));
      }
      cases.add(raw(op, "path " + p.name() + " with a malformed escape", target(op, p.name(), "%ZZ"), Expect.REFUSED));
    }
    return cases;
  }

  private List<Case> queryCases(DocumentedOperation op) {
    List<Case> cases = new ArrayList<>();
    String base = wellFormedTarget(op);
    for (DocumentedOperation.Parameter p : op.in("query")) {
      List<String> values = new ArrayList<>(HOSTILE_PARAMETERS);
      values.addAll(NUMBER_TEXTS);
      values.addAll(List.of("", "true", "%5B%5D", "a".repeat(1_000), "a".repeat(10_000)));
      for (String value : values) {
        Expect expect = value.length() > MAX_URI ? Expect.REFUSED : Expect.ANY;
        cases.add(withTarget(op, "query " + p.name() + " " + abbreviate(value), base + "?" + p.name() + "=" + value, expect, namedIfParsed(value, p)));
      }
      cases.add(withTarget(op, "query " + p.name() + " twice", base + "?" + p.name() + "=1&" + p.name() + "=%FF", Expect.ANY, p.name()));
      cases.add(raw(op, "query " + p.name() + " with a malformed escape", base + "?" + p.name() + "=%ZZ", Expect.REFUSED));
    }
    cases.add(withTarget(op, "an undocumented query parameter", base + "?fuzz=%FF%FE&=&&", Expect.ANY));
    return cases;
  }

  /**
   * The parameter a 400 must name: none for a value over the server's URI limit, refused (414)
   * before any route could name it.
   */
  private static String[] namedIfParsed(String value, DocumentedOperation.Parameter p) {
    return value.length() > MAX_URI ? new String[0] : new String[] {p.name()};
  }

  private Case withTarget(DocumentedOperation op, String what, String target, Expect expect, String... fields) {
    byte[] body = op.bodySchema() == null ? null : json(example(op)).getBytes(StandardCharsets.UTF_8);
    return new Case(what, op.method(), target, body == null ? null : JSON, body, false, expect, List.of(fields));
  }

  private Case raw(DocumentedOperation op, String what, String target, Expect expect, String... fields) {
    return new Case(what, op.method(), target, null, null, true, expect, List.of(fields));
  }

  // --- random ---------------------------------------------------------------------------

  private Case randomCase(DocumentedOperation op) {
    int dice = random.nextInt(100);
    if (op.bodySchema() != null && dice < 70) return randomBody(op);
    if (!op.in("path").isEmpty() && (dice % 2 == 0 || op.in("query").isEmpty())) {
      DocumentedOperation.Parameter p = op.in("path").get(random.nextInt(op.in("path").size()));
      String value = randomEncoded();
      // Random bytes may spell a well-formed id ("7"), or a dot segment that names the collection.
      return withTarget(op, "random path " + p.name(), target(op, p.name(), value), Expect.ANY, p.name());
    }
    if (!op.in("query").isEmpty()) {
      DocumentedOperation.Parameter p = op.in("query").get(random.nextInt(op.in("query").size()));
      return withTarget(op, "random query " + p.name(), wellFormedTarget(op) + "?" + p.name() + "=" + randomEncoded(), Expect.ANY, p.name());
    }
    return withTarget(op, "random query", wellFormedTarget(op) + "?" + randomEncoded() + "=" + randomEncoded(), Expect.ANY);
  }

  /** The example with one to three random changes; invalid as soon as one change is. */
  private Case randomBody(DocumentedOperation op) {
    Map<String, JsonNode> properties = op.properties(document);
    ObjectNode body = example(op);
    List<String> names = new ArrayList<>(properties.keySet());
    body.fieldNames().forEachRemaining(n -> {
      if (!names.contains(n)) names.add(n);
    });
    Map<String, Boolean> invalid = new LinkedHashMap<>(); // by field changed: whether its last change must be refused
    List<String> changes = new ArrayList<>();
    for (int n = 1 + random.nextInt(3); n > 0; n--) {
      String field = names.get(random.nextInt(names.size()));
      JsonNode schema = properties.getOrDefault(field, NODES.objectNode());
      int choice = random.nextInt(10);
      boolean nested = choice >= 7 && body.path(field).isObject() && !body.get(field).isEmpty();
      boolean item = choice >= 7 && !nested && body.path(field).isArray();
      if (nested) {
        ObjectNode object = (ObjectNode) body.get(field);
        String key = object.fieldNames().next();
        JsonNode value = randomValue(1);
        object.set(key, value);
        invalid.merge(field, refusable(null, value), Boolean::logicalOr);
        changes.add(field + "." + key + "=" + abbreviate(json(value)));
      } else if (item) {
        JsonNode value = randomValue(1);
        ((ArrayNode) body.get(field)).insert(0, value);
        invalid.merge(field, refusable(DocumentedOperation.resolve(document, schema.path("items")).path("type").asText(null), value), Boolean::logicalOr);
        changes.add(field + "[0]=" + abbreviate(json(value)));
      } else if (choice == 5) {
        body.remove(field);
        invalid.put(field, op.required().contains(field));
        changes.add("no " + field);
      } else if (choice == 6) {
        String key = randomString();
        if (names.contains(key)) continue;
        body.set(key, randomValue(0));
        invalid.put(JsonBody.printable(key), true);
        changes.add("unknown " + abbreviate(key));
      } else {
        JsonNode value = randomValue(0);
        body.set(field, value);
        invalid.put(field, value.isNull() ? op.required().contains(field) : refusable(schema.path("type").asText(null), value));
        changes.add(field + "=" + abbreviate(json(value)));
      }
    }
    return body(op, "random " + changes, body, invalid.containsValue(true) ? Expect.INVALID : Expect.ANY, List.copyOf(invalid.keySet()));
  }

  /**
   * Whether the API must refuse {@code value} for a field of {@code type} (null: any type):
   * text it cannot store, nesting past the limit, or another JSON type. A number written as
   * raw text may be read as an integer or not, so it is refused only where no number belongs.
   */
  private static boolean refusable(String type, JsonNode value) {
    if (value.isTextual() && !JsonBody.printable(value.textValue()).equals(value.textValue())) return true;
    if (value instanceof POJONode raw) {
      return String.valueOf(((RawValue) raw.getPojo()).rawValue()).startsWith("[") || type != null && !type.equals("integer") && !type.equals("number");
    }
    return type != null && !matches(type, value);
  }

  private JsonNode randomValue(int depth) {
    int kind = random.nextInt(depth > 2 ? 6 : 9);
    return switch (kind) {
      case 0, 1 -> NODES.textNode(randomString());
      case 2 -> NODES.rawValueNode(new RawValue(NUMBER_TEXTS.get(random.nextInt(NUMBER_TEXTS.size()))));
      case 3 -> NODES.numberNode(random.nextInt(2001) - 1000);
      case 4 -> NODES.booleanNode(random.nextBoolean());
      case 5 -> NODES.nullNode();
      case 6 -> {
        ObjectNode object = NODES.objectNode();
        for (int i = random.nextInt(4); i > 0; i--) object.set(randomString(), randomValue(depth + 1));
        yield object;
      }
      case 7 -> {
        ArrayNode array = NODES.arrayNode();
        for (int i = random.nextInt(4); i > 0; i--) array.add(randomValue(depth + 1));
        yield array;
      }
      default -> random.nextInt(4) == 0 ? NODES.rawValueNode(new RawValue(deepArray())) : NODES.textNode("y".repeat(random.nextInt(HUGE)));
    };
  }

  /** Up to 24 characters: mostly plain, some punctuation, controls, non-Latin, lone surrogates, NUL. */
  private String randomString() {
    StringBuilder s = new StringBuilder();
    String plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    String punctuation = " \"\\/%&?#'<>{}[]:,;`$*|~+=@!";
    String unusual = "\u0001\u001f\u007f\u00e9\u00df\u4e2d\u202e\ufeff\u2028\u0301\uffff\ud800\udfff";
    for (int i = random.nextInt(25); i > 0; i--) {
      int pool = random.nextInt(100);
      if (pool < 60) s.append(plain.charAt(random.nextInt(plain.length())));
      else if (pool < 80) s.append(punctuation.charAt(random.nextInt(punctuation.length())));
      else if (pool < 97) s.append(unusual.charAt(random.nextInt(unusual.length())));
      else if (pool < 99) s.appendCodePoint(0x1F600 + random.nextInt(64));
      else s.append('\0');
    }
    return s.toString();
  }

  /** 1-24 random bytes, percent-encoded: often not UTF-8 at all. */
  private String randomEncoded() {
    StringBuilder s = new StringBuilder();
    for (int i = 1 + random.nextInt(24); i > 0; i--) {
      int b = random.nextInt(3) == 0 ? "az09./-_".charAt(random.nextInt(8)) : random.nextInt(256);
      s.append('%').append(String.format("%02X", b));
    }
    return s.toString();
  }
}
