package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import lims.kernel.ConfigRefused;
import lims.kernel.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartupSafetyTest {

  @TempDir
  Path dir;

  @Test
  void aClusterNodeRefusesTheDevelopmentSigningKey() {
    IllegalStateException refused =
        assertThrows(IllegalStateException.class, () -> LimsNode.start(NodeConfig.load("cluster", Map.of())));
    assertTrue(refused.getMessage().contains("LIMS_JWT_SECRET"), refused.getMessage());
  }

  @Test
  void theDevelopmentKeyIsRefusedBeyondLoopback() {
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> LimsNode.start(NodeConfig.load("embedded", Map.of("lims.http.host", "0.0.0.0"))));
    assertTrue(refused.getMessage().contains("LIMS_JWT_SECRET"), refused.getMessage());
  }

  @Test
  void anUnknownModeIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> NodeConfig.load("production", Map.of()));
  }

  // The node as an operator starts it (a JVM of its own, a few seconds each): a refused
  // configuration is one line on standard error and exit status 2, before anything is bound or written.

  @Test
  void aNodeRefusesAnUnknownSettingAndSaysWhichOneWasMeant() throws Exception {
    String refusal = startNode(Map.of("LIMS_JAVA_OPTS", "unused"), "-Dlims.http.prot=9090");
    assertEquals("refusing to start: lims.http.prot = \"9090\" (-Dlims.http.prot) is not a setting; did you mean lims.http.port?", refusal);
  }

  @Test
  void aNodeRefusesAValueOfTheWrongKindNamingTheSettingAndTheVariable() throws Exception {
    String refusal = startNode(Map.of("LIMS_HTTP_ASK_TIMEOUT", "5"));
    assertEquals("refusing to start: lims.http.ask-timeout = \"5\" (environment variable LIMS_HTTP_ASK_TIMEOUT) is not a duration"
        + " with its unit, such as 500ms, 30s, 5m or 12h (the default is \"5s\")", refusal);
  }

  @Test
  void aNodeRefusesAPipelineForTestPutInsideThePipelinesBlock() throws Exception {
    Path file = Files.writeString(dir.resolve("pipelines.conf"), "pipelines {\n"
        + "  rnaseq { host = h, user = u, private-key = /k, known-hosts = /kh, results = /r, command = run }\n"
        + "  pipeline-for-test { rnaseq-panel = rnaseq }\n"
        + "}\n");
    ConfigRefused refused = assertThrows(ConfigRefused.class,
        () -> LimsNode.start(NodeConfig.load("embedded", Map.of(), Map.of("LIMS_PIPELINES_FILE", file.toString()))));
    assertEquals("refusing to start: lims.analysis.pipelines.pipeline-for-test = {\"rnaseq-panel\":\"rnaseq\"} (" + file + ":3) is inside "
        + "pipelines { }: lims.analysis.pipeline-for-test is a setting beside it, not inside it", refused.getMessage());
  }

  @Test
  void aNodeRefusesAPipelineSettingItWouldIgnoreBeforeItStarts() throws Exception {
    Path file = Files.writeString(dir.resolve("pipelines.conf"),
        "pipelines { rnaseq { host = h, user = u, private-key = /k, known-hosts = /kh, results = /r, command = run, timelimit = 24h } }\n");
    ConfigRefused refused = assertThrows(ConfigRefused.class,
        () -> LimsNode.start(NodeConfig.load("embedded", Map.of(), Map.of("LIMS_PIPELINES_FILE", file.toString()))));
    assertEquals("refusing to start: lims.analysis.pipelines.rnaseq.timelimit = \"24h\" (" + file + ":1) is not a pipeline setting;"
        + " did you mean time-limit?", refused.getMessage());
  }

  @Test
  void aNodeRefusesABadPipelineBeforeItWritesAnything() throws Exception {
    Path file = Files.writeString(dir.resolve("pipelines.conf"),
        "pipelines { rnaseq { host = h, user = u, private-key = /k, known-hosts = /kh, results = /r, command = run, timelimit = 24h } }\n");
    String refusal = startNode(Map.of("LIMS_PIPELINES_FILE", file.toString()));
    assertEquals("refusing to start: lims.analysis.pipelines.rnaseq.timelimit = \"24h\" (" + file + ":1) is not a pipeline setting;"
        + " did you mean time-limit?", refusal);
  }

  @Test
  void aClusterNodeWithoutItsSigningKeyRefusesBeforeItWritesAnything() throws Exception {
    String refusal = startNode("cluster", Map.of());
    assertEquals("refusing to start a cluster node with the built-in development JWT key: set LIMS_JWT_SECRET (at least 32 bytes)", refusal);
  }

  @Test
  void aValueOnlyPekkoRefusesEndsTheStartAsARefusal() throws Exception {
    // The check lets off through for every Pekko duration; the scheduler's tick takes none, and Pekko says so as it starts.
    Process node = nodeProcess("embedded", Map.of(), "-Dpekko.scheduler.tick-duration=off");
    String stderr = exited(node);
    assertEquals(NodeConfig.REFUSED, node.exitValue(), stderr);
    assertTrue(stderr.strip().startsWith("refusing to start: ") && stderr.contains("tick-duration"), stderr);
  }

  @Test
  void aStartPastItsBoundSaysSo() {
    ConsoleBanner banner = new ConsoleBanner(NodeConfig.load("test", Map.of()), Optional.empty());
    assertEquals("LIMS did not start: not up within 2 minutes", banner.didNotStart(Main.whyNotStarted(new TimeoutException())));
  }

  private String startNode(Map<String, String> variables, String... jvmFlags) throws IOException, InterruptedException {
    return startNode("embedded", variables, jvmFlags);
  }

  /** Runs Main in a JVM of its own with these variables added; it must refuse to start: its one line. */
  private String startNode(String mode, Map<String, String> variables, String... jvmFlags) throws IOException, InterruptedException {
    Process node = nodeProcess(mode, variables, jvmFlags);
    String stderr = exited(node);
    assertEquals(NodeConfig.REFUSED, node.exitValue(), stderr);
    assertEquals("", Files.readString(dir.resolve("stdout")), "nothing on standard output");
    assertEquals(1, stderr.lines().count(), "one line: " + stderr);
    assertTrue(Files.notExists(dir.resolve("data")), "nothing written");
    return stderr.strip();
  }

  private Process nodeProcess(String mode, Map<String, String> variables, String... jvmFlags) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(List.of(jvmFlags));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), mode,
        "--port", "0", "--data-dir", dir.resolve("data").toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout").toFile()).redirectError(dir.resolve("stderr").toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("LIMS_"));
    builder.environment().putAll(variables);
    return builder.start();
  }

  /** Waits (bounded) for the node to exit; its standard error. */
  private String exited(Process node) throws IOException, InterruptedException {
    try {
      assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the node did not exit");
    } finally {
      node.destroyForcibly();
    }
    return Files.readString(dir.resolve("stderr"), StandardCharsets.UTF_8);
  }
}
