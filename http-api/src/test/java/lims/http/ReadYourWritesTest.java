package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A write, then at once a read by the same client: the read always shows the write
 * (decision 0037). Eight clients at a time, each doing one of five journeys, 100 tries in all,
 * with the node's shipped projection polling (so the read tables lag as in production).
 */
@Tag("database")
class ReadYourWritesTest {

  static TestNode node;
  static String admin;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("read_your_writes"));
    admin = node.adminToken();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void everyReadRightAfterAWriteSeesIt() throws Exception {
    List<Long> readMillis = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger tries = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        int journey = i % 5;
        int n = i;
        done.add(clients.submit(() -> {
          switch (journey) {
            case 0 -> registerThenValidate(readMillis);
            case 1 -> registerThenScan(readMillis);
            case 2 -> registerThenFindInList(readMillis);
            case 3 -> createLabTestThenList(readMillis);
            default -> registerDeviceThenList("rw-device-" + n, readMillis);
          }
          tries.incrementAndGet();
          return null;
        }));
      }
      for (Future<?> f : done) f.get();
    } finally {
      clients.shutdownNow();
    }
    assertEquals(100, tries.get());
    List<Long> sorted = readMillis.stream().sorted().toList();
    System.out.printf("read-after-write: %d reads, p50 %d ms, p99 %d ms, max %d ms%n", sorted.size(),
        sorted.get(sorted.size() / 2), sorted.get(sorted.size() * 99 / 100), sorted.get(sorted.size() - 1));
  }

  private static JsonNode registerSpecimen() {
    ApiClient.Reply reply = node.api.post("/api/v1/specimens", admin,
        "{\"client_ref\":\"clinic-rw\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}");
    assertEquals(201, reply.status(), reply.body());
    return reply.json();
  }

  private static JsonNode timed(List<Long> readMillis, java.util.function.Supplier<ApiClient.Reply> read) {
    long start = System.nanoTime();
    ApiClient.Reply reply = read.get();
    readMillis.add((System.nanoTime() - start) / 1_000_000);
    assertEquals(200, reply.status(), reply.body());
    return reply.json();
  }

  private static void registerThenValidate(List<Long> readMillis) {
    String barcode = registerSpecimen().get("barcode").asText();
    JsonNode answer = timed(readMillis, () -> node.api.post("/api/v1/samples/validate", admin, ApiClient.json(Map.of("barcodes", List.of(barcode)))));
    assertTrue(answer.get(0).get("exists").asBoolean(), "a label scanned right after registration exists: " + answer);
  }

  private static void registerThenScan(List<Long> readMillis) {
    JsonNode specimen = registerSpecimen();
    JsonNode sample = timed(readMillis, () -> node.api.get("/api/v1/samples/" + specimen.get("barcode").asText(), admin));
    assertEquals(specimen.get("id").asText(), sample.get("specimen_id").asText());
    assertEquals("REGISTERED", sample.get("state").asText());
  }

  private static void registerThenFindInList(List<Long> readMillis) {
    String id = registerSpecimen().get("id").asText();
    JsonNode page = timed(readMillis, () -> node.api.get("/api/v1/specimens?q=" + id, admin));
    assertEquals(List.of(id), page.get("items").findValuesAsText("id"), "the new specimen is listed");
  }

  private static void createLabTestThenList(List<Long> readMillis) {
    String body = "{\"title\":\"OD600\",\"type\":\"measurement\",\"experiment\":\"EXP-RW\",\"recipients\":[\"lab@example.org\"],"
        + "\"schedule\":{\"at\":\"" + Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS) + "\"},"
        + "\"action\":{\"kind\":\"http\",\"url\":\"http://127.0.0.1:9/never\"}}";
    ApiClient.Reply created = node.api.post("/api/v1/lab-tests", admin, body);
    assertEquals(201, created.status(), created.body());
    String id = created.json().get("id").asText();
    JsonNode page = timed(readMillis, () -> node.api.get("/api/v1/lab-tests?limit=500", admin));
    assertTrue(page.get("items").findValuesAsText("id").contains(id), "the new lab test is listed");
  }

  private static void registerDeviceThenList(String id, List<Long> readMillis) {
    ApiClient.Reply created = node.api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", id, "name", "Reader " + id, "type", "plate_reader")));
    assertEquals(201, created.status(), created.body());
    JsonNode page = timed(readMillis, () -> node.api.get("/api/v1/devices?limit=500", admin));
    assertTrue(page.get("items").findValuesAsText("id").contains(id), "the new device is listed");
  }
}
