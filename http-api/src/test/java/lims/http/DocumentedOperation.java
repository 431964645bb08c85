package lims.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** One operation of openapi.yaml with its references resolved: its parameters and its JSON body, as a client reads them. */
record DocumentedOperation(String method, String template, List<Parameter> parameters, JsonNode bodySchema, boolean bodyRequired) {

  /** A path or query parameter; {@code example} is null when the document gives none. */
  record Parameter(String name, String in, JsonNode schema, JsonNode example) {}

  /** Every operation under {@code paths}, in the document's order. */
  static List<DocumentedOperation> all(JsonNode document) {
    List<DocumentedOperation> operations = new ArrayList<>();
    document.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(entry -> {
      if (entry.getKey().equals("parameters")) return;
      JsonNode operation = entry.getValue();
      List<Parameter> parameters = new ArrayList<>();
      for (JsonNode level : List.of(path.getValue().path("parameters"), operation.path("parameters"))) {
        for (JsonNode p : level) {
          JsonNode param = resolve(document, p);
          JsonNode schema = resolve(document, param.path("schema"));
          JsonNode example = param.has("example") ? param.get("example") : schema.get("example");
          parameters.add(new Parameter(param.get("name").asText(), param.get("in").asText(), schema, example));
        }
      }
      JsonNode body = operation.has("requestBody") ? resolve(document, operation.get("requestBody")) : null;
      JsonNode schema = body == null ? null : resolve(document, body.path("content").path("application/json").path("schema"));
      operations.add(new DocumentedOperation(entry.getKey().toUpperCase(Locale.ROOT), path.getKey(), parameters,
          schema == null || schema.isMissingNode() ? null : schema, body != null && body.path("required").asBoolean(false)));
    }));
    return operations;
  }

  /** {@code node}, or what its {@code $ref} names (a local reference such as #/components/schemas/Role). */
  static JsonNode resolve(JsonNode document, JsonNode node) {
    while (node.has("$ref")) node = document.at(node.get("$ref").asText().substring(1));
    return node;
  }

  /** As the endpoint table names a route: {@code POST /api/v1/devices}. */
  String key() {
    return method + " " + template;
  }

  List<Parameter> in(String where) {
    return parameters.stream().filter(p -> p.in().equals(where)).toList();
  }

  /** The body's documented fields, their schemas resolved against {@code document}. */
  Map<String, JsonNode> properties(JsonNode document) {
    Map<String, JsonNode> properties = new LinkedHashMap<>();
    if (bodySchema != null) bodySchema.path("properties").fields().forEachRemaining(f -> properties.put(f.getKey(), resolve(document, f.getValue())));
    return properties;
  }

  Set<String> required() {
    Set<String> required = new LinkedHashSet<>();
    if (bodySchema != null) bodySchema.path("required").forEach(r -> required.add(r.asText()));
    return required;
  }
}
