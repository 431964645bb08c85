package lims.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.TextMessage;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter's promise, against a stand-in node (a small WebSocket server speaking the wire
 * format of docs/telemetry.md): nothing handed to the stream is lost when connections drop or
 * the node is away, nothing is counted acknowledged that the node did not acknowledge, and
 * what the node refuses as a whole is not sent again.
 */
class TelemetryStreamTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration BOUND = Duration.ofSeconds(30);

  private ActorSystem system;
  private ServerBinding binding;
  private final List<String> refusals = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startSystem() {
    // Not the node's application.conf (also on this class path): a plain local system.
    system = ActorSystem.create("stand-in-node", ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
        .withFallback(ConfigFactory.defaultReference()));
  }

  @AfterEach
  void stopSystem() throws Exception {
    if (binding != null) binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void everyBatchIsStoredOnceAndAcknowledgedAcrossThreeDroppedConnections() throws Exception {
    // Message 40 and 200 are stored but the connection drops before their ack; 120 drops unstored.
    StandIn node = new StandIn(n -> n == 40 || n == 200 ? Fate.STORE_THEN_DROP : n == 120 ? Fate.DROP : Fate.ACK);
    int port = serve(node, 0);
    SimulatedInstrument instrument = instrument();
    List<Long> offered = new ArrayList<>();
    try (TelemetryStream stream = stream(port)) {
      for (int i = 0; i < 300; i++) {
        TelemetryStream.Batch batch = instrument.next(Instant.now(), 5, Duration.ofMillis(100));
        offered.add(batch.seq());
        assertTrue(stream.offer(batch, BOUND));
      }
      assertTrue(stream.drained(BOUND), "every batch acknowledged in time; still waiting: " + stream.buffered());
      assertEquals(300, stream.ackedBatches());
      assertEquals(300 * 5 * 2, stream.ackedReadings());
      assertTrue(stream.resent() > 0, "batches in flight at a drop were sent again");
    }
    assertEquals(offered, List.copyOf(node.stored().keySet()), "every seq stored, none missing, none added");
    assertEquals(3, node.connections() - 1, "three connections dropped, each followed by a new one");
    assertTrue(node.repeats() >= 2, "the two batches stored without their ack came again and were not stored twice");
    node.stored().values().forEach(readings -> assertEquals(10, readings));
  }

  @Test
  void batchesWaitWhileTheNodeIsAwayAndGoOutInOrderWhenItComes() throws Exception {
    int port = freePort(); // where no node listens yet
    SimulatedInstrument instrument = instrument();
    List<Long> offered = new ArrayList<>();
    try (TelemetryStream stream = stream(port)) {
      for (int i = 0; i < 20; i++) {
        TelemetryStream.Batch batch = instrument.next(Instant.now(), 1, Duration.ofSeconds(1));
        offered.add(batch.seq());
        assertTrue(stream.offer(batch, BOUND));
      }
      assertFalse(stream.drained(Duration.ofMillis(300)), "nothing is acknowledged while no node listens");
      assertEquals(0, stream.ackedBatches());
      assertEquals(20, stream.buffered());

      StandIn node = new StandIn(n -> Fate.ACK);
      serve(node, port);
      assertTrue(stream.drained(BOUND), "the buffer went out once the node came; still waiting: " + stream.buffered());
      assertEquals(offered, List.copyOf(node.stored().keySet()));
      assertEquals(offered, node.arrivals(), "oldest first, each once");
    }
  }

  @Test
  void aFullBufferRefusesNewBatchesRatherThanGrow() throws Exception {
    int port = freePort(); // where no node listens yet
    SimulatedInstrument instrument = instrument();
    TelemetryStream.Settings settings = new TelemetryStream.Settings(socket(port), 2, 3, Duration.ofMillis(50), Duration.ofMillis(200),
        Duration.ofSeconds(2));
    try (TelemetryStream stream = new TelemetryStream(settings, Credentials.fixed("t"), events())) {
      for (int i = 0; i < 3; i++) assertTrue(stream.offer(instrument.next(Instant.now(), 1, Duration.ofSeconds(1)), Duration.ZERO));
      assertFalse(stream.offer(instrument.next(Instant.now(), 1, Duration.ofSeconds(1)), Duration.ofMillis(50)));
      assertEquals(3, stream.buffered());
    }
  }

  @Test
  void aRefusedReadingIsReportedAndARefusedBatchIsNotSentAgain() throws Exception {
    StandIn node = new StandIn(n -> n == 3 ? Fate.REFUSE_BATCH : n == 5 ? Fate.REFUSE_ONE_READING : Fate.ACK);
    int port = serve(node, 0);
    SimulatedInstrument instrument = instrument();
    try (TelemetryStream stream = stream(port)) {
      for (int i = 0; i < 8; i++) assertTrue(stream.offer(instrument.next(Instant.now(), 1, Duration.ofSeconds(1)), BOUND));
      assertTrue(stream.drained(BOUND), "a refused batch leaves the buffer too; still waiting: " + stream.buffered());
      assertEquals(7, stream.ackedBatches(), "the batch refused as a whole is not counted as stored");
    }
    assertEquals(8, node.arrivals().size(), "the refused batch was sent once");
    assertEquals(List.of("whole batch: too large", "reading 1 (unit): unit must be °C"), refusals);
  }

  @Test
  void aBatchTheNodeCouldNotStoreNowIsSentAgainAndStored() throws Exception {
    StandIn node = new StandIn(n -> n == 2 ? Fate.NOT_NOW : Fate.ACK);
    int port = serve(node, 0);
    SimulatedInstrument instrument = instrument();
    try (TelemetryStream stream = stream(port)) {
      for (int i = 0; i < 5; i++) assertTrue(stream.offer(instrument.next(Instant.now(), 1, Duration.ofSeconds(1)), BOUND));
      assertTrue(stream.drained(BOUND), "still waiting: " + stream.buffered());
      assertEquals(5, stream.ackedBatches());
    }
    assertEquals(5, node.stored().size(), "the batch refused for a passing reason was sent again and stored");
  }

  // --- the stand-in node ------------------------------------------------------------

  private enum Fate { ACK, STORE_THEN_DROP, DROP, REFUSE_BATCH, REFUSE_ONE_READING, NOT_NOW }

  /** Stores each seq once (as the node does), acknowledges, and plays its part by message number. */
  private static final class StandIn {
    private final IntFunction<Fate> fate;
    private final TreeMap<Long, Integer> stored = new TreeMap<>();
    private final List<Long> arrivals = new ArrayList<>();
    private int messages;
    private int repeats;
    private int connections;

    StandIn(IntFunction<Fate> fate) {
      this.fate = fate;
    }

    synchronized void connected() {
      connections++;
    }

    /** The answers to one message; null: the connection drops instead. */
    synchronized List<String> receive(String text) throws java.io.IOException {
      JsonNode batch = JSON.readTree(text);
      long seq = batch.get("seq").asLong();
      arrivals.add(seq);
      Fate what = fate.apply(++messages);
      switch (what) {
        case DROP:
          return null;
        case REFUSE_BATCH:
          return List.of("{\"error\":\"too large\",\"seq\":" + seq + ",\"index\":-1}");
        case NOT_NOW:
          return List.of("{\"error\":\"not stored: the database did not answer; send the batch again\",\"seq\":" + seq + ",\"index\":-1,\"retry\":true}");
        default:
          if (stored.putIfAbsent(seq, batch.get("readings").size()) != null) repeats++;
          if (what == Fate.STORE_THEN_DROP) return null;
          List<String> answers = new ArrayList<>();
          if (what == Fate.REFUSE_ONE_READING) answers.add("{\"error\":\"unit must be °C\",\"seq\":" + seq + ",\"index\":1,\"field\":\"unit\"}");
          answers.add("{\"ack\":" + seq + "}");
          return answers;
      }
    }

    synchronized Map<Long, Integer> stored() {
      return new TreeMap<>(stored);
    }

    synchronized List<Long> arrivals() {
      return List.copyOf(arrivals);
    }

    synchronized int repeats() {
      return repeats;
    }

    synchronized int connections() {
      return connections;
    }
  }

  private int serve(StandIn node, int port) throws Exception {
    Materializer materializer = Materializer.matFromSystem(system);
    binding = Http.get(system).newServerAt("127.0.0.1", port).bindSync(request -> request.getAttribute(AttributeKeys.webSocketUpgrade)
        .map(upgrade -> {
          node.connected();
          Flow<Message, Message, org.apache.pekko.NotUsed> flow = Flow.<Message>create()
              .mapAsync(1, message -> message.asTextMessage().toStrict(3000, materializer))
              .map(message -> java.util.Optional.ofNullable(node.receive(message.getStrictText())))
              .takeWhile(java.util.Optional::isPresent) // ending the outgoing side closes the connection
              .mapConcat(java.util.Optional::get)
              .map(answer -> (Message) TextMessage.create(answer));
          return upgrade.handleMessagesWith(flow);
        })
        .orElseGet(() -> HttpResponse.create().withStatus(StatusCodes.BAD_REQUEST)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return binding.localAddress().getPort();
  }

  private TelemetryStream stream(int port) {
    return new TelemetryStream(new TelemetryStream.Settings(socket(port), 16, 1000, Duration.ofMillis(50), Duration.ofMillis(500),
        Duration.ofSeconds(2)), Credentials.fixed("a-token"), events());
  }

  private TelemetryStream.Events events() {
    return new TelemetryStream.Events() {
      @Override
      public void refused(long seq, int index, String field, String error) {
        refusals.add((index < 0 ? "whole batch" : "reading " + index + " (" + field + ")") + ": " + error);
      }
    };
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  private static URI socket(int port) {
    return URI.create("ws://127.0.0.1:" + port + "/api/v1/devices/incubator-1/telemetry/stream");
  }

  private static SimulatedInstrument instrument() {
    return new SimulatedInstrument(ChannelSource.shipped("incubator"), Instant.now(), 7);
  }
}
