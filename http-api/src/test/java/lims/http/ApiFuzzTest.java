package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile requests to every route of the endpoint table, built from the operation openapi.yaml
 * documents for it (HostileRequests): a route is fuzzed the day it is added and documented.
 * No answer is a server error; every refusal is problem+json, and a 400 names the field or
 * parameter at fault; a refused request stores nothing (the journal's row count, read straight
 * from the database, does not move); the node stays healthy. The random cases come from a seed
 * that every failure prints; replay a run with -Dlims.fuzz.seed=N or LIMS_FUZZ_SEED=N.
 */
class ApiFuzzTest {

  static final long SEED = seed();
  /** Random cases per operation, on top of the systematic ones. */
  static final int RANDOM_PER_OPERATION = Integer.getInteger("lims.fuzz.random-per-operation", 20);
  private static final int HEALTH_CHECK_EVERY = 250;
  private static final int FAILURES_SHOWN = 25;

  static TestNode node;
  static String admin;
  static JsonNode document;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(TestDatabase.h2("fuzz"), Map.of("lims.device.seed-demo-devices", false));
    admin = node.adminToken();
    ApiClient.Reply served = node.api.get("/api/v1/openapi.yaml", admin);
    assertEquals(200, served.status(), served.body());
    document = new ObjectMapper(new YAMLFactory()).readTree(served.body());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  private static long seed() {
    String given = System.getProperty("lims.fuzz.seed", System.getenv("LIMS_FUZZ_SEED"));
    return given == null || given.isBlank() ? new Random().nextLong() : Long.parseLong(given.strip());
  }

  /** A route missing from openapi.yaml would not be fuzzed; one without examples could not be. */
  @Test
  void everyRouteIsDocumentedWithTheExamplesTheFuzzerStartsFrom() {
    Map<String, DocumentedOperation> documented = documented();
    TreeSet<String> served = new TreeSet<>();
    node.node.endpoints().forEach(e -> served.add(e.method().name() + " " + e.template()));
    assertEquals(served, new TreeSet<>(documented.keySet()), "the endpoint table and openapi.yaml must name the same operations");
    List<String> missing = new ArrayList<>();
    documented.values().forEach(o -> missing.addAll(HostileRequests.missingExamples(o)));
    assertEquals(List.of(), missing, "give these an example in openapi.yaml: the fuzzer builds its well-formed request from it");
  }

  @Test
  void noHostileRequestGetsAServerErrorOrStoresAnything() {
    Random random = new Random(SEED);
    HostileRequests hostile = new HostileRequests(document, random);
    Map<String, DocumentedOperation> documented = documented();
    List<HostileRequests.Case> cases = new ArrayList<>();
    for (Endpoint e : node.node.endpoints()) {
      DocumentedOperation operation = documented.get(e.method().name() + " " + e.template());
      if (operation == null) fail(e.method().name() + " " + e.template() + " is not in openapi.yaml, so it cannot be fuzzed");
      cases.addAll(hostile.of(operation, RANDOM_PER_OPERATION));
    }
    Collections.shuffle(cases, random);

    long started = System.nanoTime();
    List<String> failures = new ArrayList<>();
    long journal = journalRows();
    int sent = 0;
    for (HostileRequests.Case c : cases) {
      Optional<ApiClient.Reply> reply = send(c, failures);
      sent++;
      long before = journal;
      journal = journalRows();
      long growth = journal - before;
      reply.flatMap(r -> check(c, r, growth)).ifPresent(failures::add);
      if (sent % HEALTH_CHECK_EVERY == 0) healthy(failures, sent);
    }
    healthy(failures, sent);
    System.out.printf("fuzz: %d requests to %d routes in %d ms, seed %d, %d wrong answers%n", sent, node.node.endpoints().size(),
        (System.nanoTime() - started) / 1_000_000, SEED, failures.size());
    if (!failures.isEmpty()) {
      failures.forEach(System.out::println);
      fail(failures.size() + " of " + sent + " answers were wrong; replay with -Dlims.fuzz.seed=" + SEED + "\n"
          + String.join("\n", failures.subList(0, Math.min(FAILURES_SHOWN, failures.size()))));
    }
  }

  private static Map<String, DocumentedOperation> documented() {
    Map<String, DocumentedOperation> byKey = new LinkedHashMap<>();
    DocumentedOperation.all(document).forEach(o -> byKey.put(o.key(), o));
    return byKey;
  }

  private static Optional<ApiClient.Reply> send(HostileRequests.Case c, List<String> failures) {
    try {
      if (c.raw()) {
        return Optional.of(node.api.raw(c.method() + " " + c.target() + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin
            + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
      }
      return Optional.of(node.api.sendBytes(c.method(), c.target(), admin, c.body(), c.contentType()));
    } catch (RuntimeException e) {
      failures.add(c.describe() + "\n    -> no answer: " + e + (e.getCause() == null ? "" : " / " + e.getCause()));
      return Optional.empty();
    }
  }

  /** What is wrong with {@code reply} to {@code c}, if anything; {@code journalGrowth} rows were added while it ran. */
  private static Optional<String> check(HostileRequests.Case c, ApiClient.Reply reply, long journalGrowth) {
    List<String> wrong = new ArrayList<>();
    int status = reply.status();
    JsonNode problem = null;
    if (status >= 500) wrong.add("a server error");
    if (status >= 400) {
      if (!"application/problem+json".equals(reply.contentType())) {
        wrong.add("not application/problem+json but " + reply.contentType());
      } else {
        problem = reply.json();
        if (problem.path("status").asInt() != status) wrong.add("the problem says status " + problem.path("status"));
      }
    }
    if (status >= 400 && status < 500 && journalGrowth != 0) wrong.add("refused, yet " + journalGrowth + " journal rows were added");
    boolean invalid = status == 400 || status == 413 || status == 415;
    switch (c.expect()) {
      case WELL_FORMED -> {
        if (invalid) wrong.add("the documented example is refused as invalid");
      }
      case INVALID -> {
        if (!invalid) wrong.add("invalid input not refused as such");
      }
      case REFUSED -> {
        if (status < 400 || status >= 500) wrong.add("not refused");
      }
      case ANY -> { }
    }
    if (status == 400 && problem != null && !c.fields().isEmpty() && !names(problem, c.fields())) wrong.add("the 400 names none of " + c.fields());
    if (wrong.isEmpty()) return Optional.empty();
    String body = reply.body() == null ? "" : reply.body();
    return Optional.of(c.describe() + "\n    -> " + status + " " + String.join("; ", wrong) + ": "
        + (body.length() > 400 ? body.substring(0, 400) + "..." : body));
  }

  /** Whether an entry of the problem's errors is one of {@code fields}, or lies inside one (roles[1], action.url). */
  private static boolean names(JsonNode problem, List<String> fields) {
    for (JsonNode error : problem.path("errors")) {
      String named = error.path("field").asText();
      for (String field : fields) {
        if (named.equals(field) || named.startsWith(field + ".") || named.startsWith(field + "[")) return true;
      }
    }
    return false;
  }

  private static void healthy(List<String> failures, int sent) {
    for (String probe : List.of("/health", "/ready", "/api/v1/devices")) {
      ApiClient.Reply reply = node.api.get(probe, admin);
      if (reply.status() != 200) failures.add("after " + sent + " requests GET " + probe + " answered " + reply.status() + ": " + reply.body());
    }
  }

  private static long journalRows() {
    return node.count("SELECT COUNT(*) FROM \"event_journal\"");
  }
}
