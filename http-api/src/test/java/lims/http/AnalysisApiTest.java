package lims.http;

import static lims.http.HttpConventionsTest.fieldsNamed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lims.analysis.testing.SshServer;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Analyses end to end on a real OpenSSH server and real tmux: the specimen's
 * finish_experiment dispatches a pipeline script that waits for its gate file, then writes
 * its result by temporary name and rename into the shared results folder.
 */
@Tag("database")
class AnalysisApiTest {

  @TempDir static Path dir;
  static SshServer ssh;
  static Setup main;
  static TestNode node;
  static String admin;

  @BeforeAll
  static void start() throws Exception {
    ssh = SshServer.start(Files.createDirectories(dir.resolve("ssh")));
    main = Setup.named("main");
    node = TestNode.start(TestDatabase.fresh("analyses"), main.settings(true));
    admin = node.adminToken();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (ssh != null) ssh.close();
  }

  /**
   * What one node's pipelines use: its results folder, its gate files and its tmux socket.
   * Each node of this test has its own database, so its own specimen (and analysis) ids:
   * they must not meet another node's in a shared folder or tmux server.
   */
  record Setup(String name, Path results, Path gates, String socket) {
    static Setup named(String name) throws Exception {
      return new Setup(name, Files.createDirectories(dir.resolve("results-" + name)), Files.createDirectories(dir.resolve("gates-" + name)),
          ssh.tmuxSocket + "-" + name);
    }

    Map<String, Object> settings(boolean watch) throws Exception {
      return AnalysisApiTest.settings(this, watch);
    }

    void openGate(String analysisId) throws Exception {
      Files.writeString(gates.resolve(analysisId), "go");
    }

    boolean hasSession(String analysisId) {
      return ssh.hasSession(socket, analysisId);
    }
  }

  /** Three pipelines on the test server: "seq" (the default), "slow" (an 8 s time limit: long enough that a first dispatch on a busy machine is seen running before it) and "down" (nothing listens). */
  static Map<String, Object> settings(Setup setup, boolean watch) throws Exception {
    Path results = setup.results();
    Path gates = setup.gates();
    Path script = dir.resolve("pipeline.sh");
    if (!Files.exists(script)) {
      Files.writeString(script, String.join("\n",
          "#!/bin/sh",
          "# pipeline.sh RESULT_DIR OUTCOME GATE: waits for the gate, then writes result.json by rename",
          "while [ ! -e \"$3\" ]; do sleep 0.05; done",
          "mkdir -p \"$1\"",
          "printf '{\"status\":\"%s\",\"reads\":1200}' \"$2\" > \"$1/.result.json.tmp\"",
          "mv \"$1/.result.json.tmp\" \"$1/result.json\"",
          ""));
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    String command = script + " {result_dir} {param:outcome} " + gates + "/{analysis_id}";
    Map<String, Object> s = new HashMap<>();
    s.putAll(ssh.pipeline("seq", command, results, "12h"));
    s.putAll(ssh.pipeline("slow", command, results, "8s"));
    s.putAll(ssh.pipeline("down", command, results, "12h"));
    s.put("lims.analysis.pipelines.down.port", closedPort());
    for (String p : List.of("seq", "slow", "down")) s.put("lims.analysis.pipelines." + p + ".tmux-socket", setup.socket());
    s.put("lims.analysis.default-pipeline", "seq");
    s.put("lims.analysis.dispatch.attempts", 2);
    s.put("lims.analysis.dispatch.min-backoff", "100ms");
    s.put("lims.analysis.results.rescan-interval", "500ms");
    s.put("lims.analysis.results.watch", watch);
    s.put("lims.deadlines.sweep-interval", "500ms");
    s.put("lims.deadlines.lookahead", "3s");
    return s;
  }

  static int closedPort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A specimen taken to IN_EXPERIMENT. */
  static String inExperiment(TestNode n, String token) {
    ApiClient.Reply created = n.api.post("/api/v1/specimens", token,
        "{\"client_ref\":\"clinic-4\",\"type\":\"tissue\",\"tests_requested\":[\"wgs\"]}");
    assertEquals(201, created.status(), created.body());
    String id = created.json().get("id").asText();
    for (String action : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc", "start_experiment")) {
      assertEquals(200, n.api.post("/api/v1/specimens/" + id + "/transitions", token, "{\"action\":\"" + action + "\"}").status());
    }
    return id;
  }

  static ApiClient.Reply finishExperiment(TestNode n, String token, String specimenId, String data) {
    return n.api.post("/api/v1/specimens/" + specimenId + "/transitions", token, "{\"action\":\"finish_experiment\",\"data\":" + data + "}");
  }

  static JsonNode analysis(TestNode n, String token, String analysisId) {
    ApiClient.Reply r = n.api.get("/api/v1/analyses/" + analysisId, token);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  static JsonNode specimen(TestNode n, String token, String id) {
    return n.api.get("/api/v1/specimens/" + id, token).json();
  }

  /** The specimen's last chain-of-custody entry. */
  static JsonNode lastHistory(TestNode n, String token, String id) {
    JsonNode history = n.api.get("/api/v1/specimens/" + id + "/history", token).json();
    return history.get(history.size() - 1);
  }

  static String running(TestNode n, String token, String specimenId, String pipelineData) {
    return running(n, token, specimenId, pipelineData, main);
  }

  static String running(TestNode n, String token, String specimenId, String pipelineData, Setup setup) {
    assertEquals(200, finishExperiment(n, token, specimenId, pipelineData).status());
    String analysisId = "AN-" + specimenId + "-1";
    n.eventually(() -> assertEquals("running", analysis(n, token, analysisId).get("state").asText()));
    assertTrue(setup.hasSession(analysisId), "the pipeline runs in its tmux session");
    return analysisId;
  }

  @Test
  void dispatchReturnsWhileThePipelineRunsOnAndItsResultMovesTheSpecimenToReview() throws Exception {
    String id = inExperiment(node, admin);
    String analysisId = running(node, admin, id, "{\"parameters\":{\"outcome\":\"succeeded\"}}");
    JsonNode a = analysis(node, admin, analysisId);
    assertEquals("seq", a.get("pipeline").asText(), "no pipeline named: the default");
    // Dispatch confirmed while the pipeline waits for its gate: the backend did not wait for it (how fast: ./lims bench analyses).
    assertTrue(a.hasNonNull("dispatched_at"));
    assertTrue(a.get("remote_session").asText().contains(analysisId));
    assertTrue(Duration.between(Instant.now(), Instant.parse(a.get("deadline").asText())).toHours() >= 11, "12 h bound");
    assertEquals("IN_ANALYSIS", specimen(node, admin, id).get("state").asText(), "the pipeline is still waiting for its gate");

    main.openGate(analysisId);
    node.eventually(() -> assertEquals("IN_REVIEW", specimen(node, admin, id).get("state").asText()));
    JsonNode entry = lastHistory(node, admin, id);
    assertEquals("analysis_succeeded", entry.get("action").asText());
    assertEquals(analysisId, entry.get("data").get("analysis_id").asText());
    assertEquals(1200, entry.get("data").get("result").get("reads").asInt(), "the result is attached");
    assertEquals("succeeded", analysis(node, admin, analysisId).get("state").asText());
    // The custody entry says when the run ended, not when the reaction that moved the specimen ran.
    node.eventually(() -> assertEquals(Instant.parse(analysis(node, admin, analysisId).get("finished_at").asText()).truncatedTo(ChronoUnit.MILLIS),
        Instant.parse(entry.get("at").asText()).truncatedTo(ChronoUnit.MILLIS)));
    node.eventually(() -> {
      JsonNode listed = node.api.get("/api/v1/specimens/" + id + "/analyses", admin).json();
      assertEquals(1, listed.size());
      assertEquals("succeeded", listed.get(0).get("state").asText());
      assertEquals("succeeded", listed.get(0).get("result_status").asText());
    });
    node.eventually(() -> assertEquals(0, node.count("SELECT COUNT(*) FROM deadline WHERE entity_id = ?", analysisId)));
  }

  @Test
  void aFailureFileMovesTheSpecimenToAnalysisFailedAndARetryStartsANewRun() throws Exception {
    String id = inExperiment(node, admin);
    String first = running(node, admin, id, "{\"pipeline\":\"seq\",\"parameters\":{\"outcome\":\"failed\"}}");
    main.openGate(first);
    node.eventually(() -> assertEquals("ANALYSIS_FAILED", specimen(node, admin, id).get("state").asText()));
    assertEquals("failed", analysis(node, admin, first).get("state").asText());

    assertEquals(200, node.api.post("/api/v1/specimens/" + id + "/transitions", admin,
        "{\"action\":\"retry_analysis\",\"data\":{\"parameters\":{\"outcome\":\"succeeded\"}}}").status());
    String second = "AN-" + id + "-2";
    node.eventually(() -> assertEquals("running", analysis(node, admin, second).get("state").asText()));
    main.openGate(second);
    node.eventually(() -> assertEquals("IN_REVIEW", specimen(node, admin, id).get("state").asText()));
  }

  @Test
  void anUnreachableHostIsRetriedThenTheAnalysisFailsWithTheReason() {
    String id = inExperiment(node, admin);
    assertEquals(200, finishExperiment(node, admin, id, "{\"pipeline\":\"down\",\"parameters\":{\"outcome\":\"succeeded\"}}").status());
    String analysisId = "AN-" + id + "-1";
    node.eventually(() -> assertEquals("ANALYSIS_FAILED", specimen(node, admin, id).get("state").asText()));
    JsonNode a = analysis(node, admin, analysisId);
    assertEquals("failed", a.get("state").asText());
    assertEquals(2, a.get("dispatch_attempts").asInt());
    assertTrue(a.get("failure_reason").asText().startsWith("dispatch failed after 2 attempts"), a.get("failure_reason").asText());
    assertTrue(lastHistory(node, admin, id).get("data").get("reason").asText().contains("dispatch failed"));
  }

  @Test
  void pastTheTimeLimitTheAnalysisTimesOutAndItsSessionIsKilled() {
    String id = inExperiment(node, admin);
    String analysisId = running(node, admin, id, "{\"pipeline\":\"slow\",\"parameters\":{\"outcome\":\"succeeded\"}}");
    node.eventually(() -> assertEquals("ANALYSIS_FAILED", specimen(node, admin, id).get("state").asText()));
    assertEquals("timeout", lastHistory(node, admin, id).get("data").get("reason").asText());
    assertEquals("timed_out", analysis(node, admin, analysisId).get("state").asText());
    node.eventually(() -> assertFalse(main.hasSession(analysisId), "the session of a timed-out run is killed"));
  }

  @Test
  void reexperimentKillsTheSessionAndALateResultIsRecordedButMovesNothing() throws Exception {
    String id = inExperiment(node, admin);
    String analysisId = running(node, admin, id, "{\"parameters\":{\"outcome\":\"succeeded\"}}");
    assertEquals(200, node.api.post("/api/v1/specimens/" + id + "/transitions", admin,
        "{\"action\":\"request_reexperiment\",\"reason\":\"pipette drift\"}").status());
    node.eventually(() -> assertEquals("cancelled", analysis(node, admin, analysisId).get("state").asText()));
    node.eventually(() -> assertFalse(main.hasSession(analysisId), "tmux kill-session on the host"));

    // The pipeline had got as far as writing its result after all.
    Path folder = Files.createDirectories(main.results().resolve(analysisId));
    Files.writeString(folder.resolve(".tmp"), "{\"status\":\"succeeded\",\"reads\":7}");
    Files.move(folder.resolve(".tmp"), folder.resolve("result.json"), StandardCopyOption.ATOMIC_MOVE);
    node.eventually(() -> assertEquals(7, analysis(node, admin, analysisId).get("result").get("reads").asInt()));
    JsonNode a = analysis(node, admin, analysisId);
    assertEquals("cancelled", a.get("state").asText());
    assertFalse(a.get("result_counted").asBoolean());
    assertEquals("IN_EXPERIMENT", specimen(node, admin, id).get("state").asText());
  }

  @Test
  void cancellingARunKillsItsSessionAndLetsTheSpecimenRetry() {
    String id = inExperiment(node, admin);
    String analysisId = running(node, admin, id, "{\"parameters\":{\"outcome\":\"succeeded\"}}");
    ApiClient.Reply cancelled = node.api.post("/api/v1/analyses/" + analysisId + "/cancel", admin, "{\"reason\":\"wrong genome\"}");
    assertEquals(200, cancelled.status(), cancelled.body());
    assertEquals("cancelled", cancelled.json().get("state").asText());
    assertEquals(200, node.api.post("/api/v1/analyses/" + analysisId + "/cancel", admin, "").status(), "again: the same answer");
    node.eventually(() -> assertFalse(main.hasSession(analysisId)));
    node.eventually(() -> assertEquals("ANALYSIS_FAILED", specimen(node, admin, id).get("state").asText()));
    assertEquals("cancelled: wrong genome", lastHistory(node, admin, id).get("data").get("reason").asText());
  }

  @Test
  void hostileValuesNeverReachAShellAndNothingIsStarted() throws Exception {
    String id = inExperiment(node, admin);
    Path marker = dir.resolve("pwned");
    for (String hostile : List.of("x; touch " + marker, "$(touch " + marker + ")", "`touch " + marker + "`", "a'b", "a\\\"b",
        "line\\nbreak")) {
      ApiClient.Reply r = finishExperiment(node, admin, id, "{\"parameters\":{\"outcome\":\"" + hostile + "\"}}");
      assertEquals(400, r.status(), hostile + " -> " + r.body());
      assertEquals(List.of("data.parameters"), fieldsNamed(r.json()), r.body());
    }
    ApiClient.Reply unknownPipeline = finishExperiment(node, admin, id, "{\"pipeline\":\"$(reboot)\",\"parameters\":{\"outcome\":\"x\"}}");
    assertEquals(List.of("data.pipeline"), fieldsNamed(unknownPipeline.json()));
    ApiClient.Reply notAString = finishExperiment(node, admin, id, "{\"parameters\":{\"outcome\":[1]}}");
    assertEquals(400, notAString.status());
    ApiClient.Reply unknownParameter = finishExperiment(node, admin, id, "{\"pipeline\":\"seq\",\"parameters\":{\"outcome\":\"x\",\"rm\":\"y\"}}");
    assertEquals(List.of("data.parameters"), fieldsNamed(unknownParameter.json()));
    assertEquals(400, node.api.get("/api/v1/analyses/AN-..-1", admin).status());

    assertEquals("IN_EXPERIMENT", specimen(node, admin, id).get("state").asText(), "nothing stored changed");
    assertEquals(0, node.count("SELECT COUNT(*) FROM analysis WHERE specimen_id = ?", id));
    assertFalse(Files.exists(marker));
  }

  @Test
  void resultsForUnknownAnalysesAndLinksOutOfTheFolderAreQuarantined() throws Exception {
    Path unknown = Files.createDirectories(main.results().resolve("AN-SP-2026-999999-1"));
    Files.writeString(unknown.resolve("result.json"), "{\"status\":\"succeeded\"}");
    Path outside = Files.createDirectories(dir.resolve("elsewhere"));
    Files.writeString(outside.resolve("result.json"), "{\"status\":\"succeeded\"}");
    Files.createSymbolicLink(main.results().resolve("AN-SP-2026-999999-2"), outside);
    Path quarantine = main.results().resolve(".quarantine");
    node.eventually(() -> {
      assertTrue(Files.exists(quarantine.resolve("AN-SP-2026-999999-1")));
      assertTrue(Files.exists(quarantine.resolve("AN-SP-2026-999999-2"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    });
    assertTrue(Files.exists(outside.resolve("result.json")), "the link's target is untouched");
  }

  /** A node dispatches a run and stops once the run is running and its deadline row is written; the specimen's id. */
  static String runningWhenTheNodeStops(Map<String, Object> database, Setup setup, String pipelineData) throws Exception {
    try (TestNode first = TestNode.start(database, setup.settings(true))) {
      String token = first.adminToken();
      String id = inExperiment(first, token);
      String analysisId = running(first, token, id, pipelineData, setup);
      first.eventually(() -> assertEquals(1, first.count("SELECT COUNT(*) FROM deadline WHERE entity_id = ?", analysisId)));
      return id;
    }
  }

  @Test
  void aPipelineOutlivesTheBackendAndARescanWithoutFileEventsFindsItsResult() throws Exception {
    Map<String, Object> database = TestDatabase.fresh("analysis-restart");
    Setup restart = Setup.named("restart");
    String id = runningWhenTheNodeStops(database, restart, "{\"parameters\":{\"outcome\":\"succeeded\"}}");
    String analysisId = "AN-" + id + "-1";
    assertTrue(restart.hasSession(analysisId), "the tmux session kept running while the backend was down");
    // The second node sees no file-system events (as on NFS, where another client writes): only its rescan can find the result.
    try (TestNode second = TestNode.start(database, restart.settings(false))) {
      String token = second.adminToken();
      assertEquals("IN_ANALYSIS", specimen(second, token, id).get("state").asText());
      restart.openGate(analysisId);
      second.eventually(() -> assertEquals("IN_REVIEW", specimen(second, token, id).get("state").asText()));
      assertEquals(1200, lastHistory(second, token, id).get("data").get("result").get("reads").asInt());
    }
  }

  @Test
  void aDeadlinePassedWhileNoNodeRanStillTimesTheAnalysisOut() throws Exception {
    Map<String, Object> database = TestDatabase.fresh("analysis-deadline");
    Setup down = Setup.named("deadline");
    String id = runningWhenTheNodeStops(database, down, "{\"pipeline\":\"slow\",\"parameters\":{\"outcome\":\"succeeded\"}}");
    String analysisId = "AN-" + id + "-1";
    // Nothing on the new node asks for this analysis: only the deadline index and its sweeper can wake it.
    try (TestNode second = TestNode.start(database, down.settings(true))) {
      String token = second.adminToken();
      second.eventually(() -> assertEquals("ANALYSIS_FAILED", specimen(second, token, id).get("state").asText()));
      assertEquals("timeout", lastHistory(second, token, id).get("data").get("reason").asText());
      second.eventually(() -> assertFalse(down.hasSession(analysisId), "and its session is killed"));
      second.eventually(() -> assertEquals(0, second.count("SELECT COUNT(*) FROM deadline WHERE entity_id = ?", analysisId)));
    }
  }

  @Test
  void aScheduledLabTestDispatchesAPipelineRunOfItsOwn() throws Exception {
    ApiClient.Reply created = node.api.post("/api/v1/lab-tests", admin, "{\"title\":\"nightly QC\",\"schedule\":{\"at\":\""
        + Instant.now().plusSeconds(1) + "\"},\"action\":{\"kind\":\"analysis\",\"pipeline\":\"seq\",\"parameters\":{\"outcome\":\"succeeded\"}}}");
    assertEquals(201, created.status(), created.body());
    String labTest = created.json().get("id").asText();
    node.eventually(() -> assertEquals("succeeded",
        node.api.get("/api/v1/lab-tests/" + labTest + "/executions", admin).json().get("items").get(0).get("status").asText()));
    String execution = node.api.get("/api/v1/lab-tests/" + labTest + "/executions", admin).json().get("items").get(0).get("execution_id").asText();
    String analysisId = "AN-" + execution;
    assertEquals("running", analysis(node, admin, analysisId).get("state").asText());
    assertTrue(main.hasSession(analysisId));
    main.openGate(analysisId);
    node.eventually(() -> assertEquals("succeeded", analysis(node, admin, analysisId).get("state").asText()));

    ApiClient.Reply hostile = node.api.post("/api/v1/lab-tests", admin, "{\"title\":\"t\",\"schedule\":{\"at\":\""
        + Instant.now().plusSeconds(60) + "\"},\"action\":{\"kind\":\"analysis\",\"pipeline\":\"seq\",\"parameters\":{\"outcome\":\"$(id)\"}}}");
    assertEquals(List.of("action"), fieldsNamed(hostile.json()));
  }
}
