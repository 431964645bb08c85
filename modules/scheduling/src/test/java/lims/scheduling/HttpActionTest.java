package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The http action against a server that closes connections without answering, as a server
 * closing a kept-alive connection does: the call is sent once more, with the same
 * Idempotency-Key, and no more than once.
 */
class HttpActionTest {

  private final List<String> keys = new CopyOnWriteArrayList<>();
  private ServerSocket server;

  @AfterEach
  void close() throws Exception {
    server.close();
  }

  @Test
  void aConnectionClosedBeforeTheAnswerIsSentOnceMore() throws Exception {
    serve(1);
    LabTestAction.Outcome outcome = call();
    assertTrue(outcome.succeeded(), outcome.log().toString());
    assertEquals(List.of("E-1", "E-1"), keys, "the same call twice, with its execution's key");
  }

  @Test
  void aServerThatNeverAnswersIsNotCalledAThirdTime() throws Exception {
    serve(Integer.MAX_VALUE);
    LabTestAction.Outcome outcome = call();
    assertFalse(outcome.succeeded());
    assertTrue(outcome.log().get(0).contains("failed"), outcome.log().toString());
    assertEquals(2, keys.size(), "sent twice, then failed: " + keys);
  }

  /** A call that times out is not sent again: the attempt's time is spent. */
  @Test
  void aCallThatTimedOutIsNotSentAgain() throws Exception {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    List<Socket> held = new CopyOnWriteArrayList<>();
    Thread t = new Thread(() -> {
      try {
        while (true) {
          Socket s = server.accept(); // read, never answered, kept open
          held.add(s);
          keys.add("request");
        }
      } catch (Exception closed) {
        // the test is over
      }
    });
    t.setDaemon(true);
    t.start();
    LabTestAction.Outcome outcome = call(Map.of("timeout_ms", 300));
    assertFalse(outcome.succeeded());
    assertTrue(outcome.log().get(0).contains("timed out"), outcome.log().toString());
    assertEquals(1, keys.size(), "sent once");
    for (Socket s : held) s.close();
  }

  private LabTestAction.Outcome call() throws Exception {
    return call(Map.of());
  }

  private LabTestAction.Outcome call(Map<String, Object> more) throws Exception {
    HttpAction action = new HttpAction(Duration.ofSeconds(10), "test-node");
    var execution = new LabTestAction.Execution("LT-1", "E-1", Instant.now(), 1, Instant.now().plusSeconds(10));
    Map<String, Object> parameters = new java.util.HashMap<>(more);
    parameters.put("url", "http://127.0.0.1:" + server.getLocalPort() + "/run");
    return action.run(new LabTestAction("http", parameters), execution).toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  /** A server that reads each request and closes its connection unanswered for the first {@code unanswered} requests, then answers 200. */
  private void serve(int unanswered) throws Exception {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      try {
        while (true) {
          try (Socket s = server.accept()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
              if (line.toLowerCase().startsWith("idempotency-key:")) keys.add(line.substring(line.indexOf(':') + 1).trim());
            }
            if (keys.size() > unanswered) {
              OutputStream out = s.getOutputStream();
              out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
              out.flush();
            }
          }
        }
      } catch (Exception closed) {
        // the test is over
      }
    });
    t.setDaemon(true);
    t.start();
  }
}
