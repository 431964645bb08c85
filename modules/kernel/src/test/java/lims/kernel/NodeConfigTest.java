package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node refuses, naming the setting, any configuration it would ignore or misread; the shipped files pass. */
class NodeConfigTest {

  @TempDir
  Path dir;

  @Test
  void theShippedConfigurationsPass() {
    for (String mode : NodeConfig.MODES) {
      Config node = NodeConfig.load(mode, Map.of(), Map.of());
      assertEquals(mode, node.getString("lims.mode"));
    }
    // The launcher's, the tests', the benchmarks' and the adapter's own variables are not settings, and not refused.
    NodeConfig.load("embedded", Map.of(), Map.of("LIMS_JAVA_OPTS", "-Xmx2g", "LIMS_TEST_PG_URL", "jdbc:postgresql://h/p", "LIMS_BENCH_PG_PID", "1",
        "LIMS_ADAPTER_PASSWORD", "secret"));
  }

  @Test
  void theEmbeddedAndClusterFilesReadEveryVariableTheSharedFilesRead() {
    Set<String> shared = ConfigCheck.variablesRead(ConfigFactory.parseResources("application.conf"));
    for (String mode : List.of("embedded", "cluster")) {
      Set<String> unread = new TreeSet<>(shared);
      unread.removeAll(ConfigCheck.variablesRead(ConfigFactory.parseResources(mode + ".conf")));
      assertEquals(Set.of(), unread, mode + ".conf sets these variables' settings without reading them again: a node would refuse them");
    }
  }

  @Test
  void anUnknownSettingIsRefusedWithTheSettingMeant() {
    assertRefused("lims.http.prot = 9090 is not a setting; did you mean lims.http.port?",
        Map.of("lims.http.prot", 9090), Map.of());
    // Misplaced: the setting of that name elsewhere.
    assertRefused("lims.http.pipeline-for-test = {\"panel\":\"rnaseq\"} is not a setting; did you mean lims.analysis.pipeline-for-test?",
        Map.of("lims.http.pipeline-for-test", Map.of("panel", "rnaseq")), Map.of());
    // Nothing near: what the section has.
    String refusal = refusal(Map.of("lims.scheduling.colour", "blue"), Map.of());
    assertTrue(refusal.contains("lims.scheduling.colour") && refusal.contains("lims.scheduling has action-timeout, catch-up-window, gauge-interval"), refusal);
  }

  @Test
  void aValueOfTheWrongKindIsRefusedNamingTheVariableItCameFrom() {
    assertRefused("lims.http.port = \"eighty\" (environment variable LIMS_HTTP_PORT) is not a whole number (the default is 8080)",
        Map.of(), Map.of("LIMS_HTTP_PORT", "eighty"));
    assertRefused("lims.security.bcrypt-cost = \"12.5\" (environment variable LIMS_BCRYPT_COST) is not a whole number (the default is 12)",
        Map.of(), Map.of("LIMS_BCRYPT_COST", "12.5"));
    // A bare number would be read as milliseconds: every SSH call would time out.
    assertRefused("lims.analysis.dispatch.ssh-timeout = \"15\" (environment variable LIMS_SSH_TIMEOUT) is not a duration with its unit",
        Map.of(), Map.of("LIMS_SSH_TIMEOUT", "15"));
    assertRefused("lims.analysis.results.watch = \"sometimes\" (environment variable LIMS_RESULTS_WATCH) is not true or false",
        Map.of(), Map.of("LIMS_RESULTS_WATCH", "sometimes"));
    assertRefused("lims.http.max-body-size = \"10s\" (environment variable LIMS_HTTP_MAX_BODY) is not a size",
        Map.of(), Map.of("LIMS_HTTP_MAX_BODY", "10s"));
    assertRefused("lims.http = 8080 is not a section { ... }", Map.of("lims.http", 8080), Map.of());
    // Settings of the libraries that application.conf sets are checked for their kind too.
    assertRefused("pekko.cluster.sharding.number-of-shards = \"many\" (environment variable LIMS_SHARDS) is not a whole number",
        Map.of(), Map.of("LIMS_SHARDS", "many"));

    Config node = NodeConfig.load("embedded", Map.of(), Map.of("LIMS_HTTP_PORT", "9090", "LIMS_SSH_TIMEOUT", "20s", "LIMS_HTTP_MAX_BODY", "2m"));
    assertEquals(9090, node.getInt("lims.http.port"));
    assertEquals(2 * 1024 * 1024, node.getBytes("lims.http.max-body-size"));
  }

  @Test
  void aNodeAnnouncesItsBuildToTheClusterUnlessTheOperatorNamesAVersion() {
    Config built = NodeConfig.load("cluster", Map.of(), Map.of());
    String version = built.getString("lims.build.version");
    String expected = AppVersion.ofBuild(version, built.getString("lims.build.time"));
    assertEquals(expected, built.getString("pekko.cluster.app-version"));
    // Built by Maven: a snapshot announces its build time, so a later build of it is newer.
    assertTrue(expected.matches("\\d+\\.\\d+\\.\\d+(-\\d{14})?"), expected);
    assertEquals("0.1.0-20261202013000", AppVersion.ofBuild("0.1.0-SNAPSHOT", "20261202013000"));
    assertEquals("1.0.0", AppVersion.ofBuild("1.0.0", "20261202013000"));

    assertEquals("2.1.0", NodeConfig.load("cluster", Map.of(), Map.of("LIMS_APP_VERSION", "2.1.0")).getString("pekko.cluster.app-version"));
    ConfigRefused refused = assertThrows(ConfigRefused.class, () -> NodeConfig.load("cluster", Map.of(), Map.of("LIMS_APP_VERSION", "1.2.3.4")));
    assertTrue(refused.getMessage().contains("lims.cluster.app-version") && refused.getMessage().contains("LIMS_APP_VERSION"), refused.getMessage());
  }

  @Test
  void aLeaseTimeTheResolverWouldRefuseIsRefusedAtStart() {
    ConfigRefused refused = assertThrows(ConfigRefused.class, () -> NodeConfig.load("cluster", Map.of(), Map.of("LIMS_SBR_LEASE_TTL", "2s")));
    assertTrue(refused.getMessage().contains("lims.cluster.lease.heartbeat-timeout") && refused.getMessage().contains("LIMS_SBR_LEASE_TTL"), refused.getMessage());
    NodeConfig.load("cluster", Map.of(), Map.of("LIMS_SBR_LEASE_TTL", "3s"));
  }

  @Test
  void anEnvironmentVariableNoSettingReadsIsRefused() {
    assertRefused("the environment variable LIMS_HTTP_PROT is not read by the embedded configuration; did you mean LIMS_HTTP_PORT?",
        Map.of(), Map.of("LIMS_HTTP_PROT", "9090"));
    // Tests name their port: test.conf does not read LIMS_HTTP_PORT, so a node of that mode would ignore it.
    assertThrows(ConfigRefused.class, () -> NodeConfig.load("test", Map.of(), Map.of("LIMS_HTTP_PORT", "9090")));
  }

  @Test
  void aDurationPekkoReadsMayBeItsWordForNever() {
    // Pekko reads off for the join timeout, off or none for the idle timeout, infinite for the request timeout.
    for (Map<String, String> never : List.of(Map.of("LIMS_JOIN_TIMEOUT", "off"), Map.of("LIMS_PASSIVATE_AFTER", "off"),
        Map.of("LIMS_PASSIVATE_AFTER", "none"), Map.of("LIMS_HTTP_REQUEST_TIMEOUT", "infinite"))) {
      for (String mode : List.of("embedded", "cluster")) {
        String variable = never.keySet().iterator().next();
        Config node = NodeConfig.load(mode, Map.of(), never);
        assertEquals(never.get(variable), node.getString(SETTING_OF.get(variable)), mode + " " + never);
      }
    }
    // Still with its unit, and the node's own durations have no such word.
    assertRefused("pekko.http.server.request-timeout = \"20\" (environment variable LIMS_HTTP_REQUEST_TIMEOUT) is not a duration with its unit",
        Map.of(), Map.of("LIMS_HTTP_REQUEST_TIMEOUT", "20"));
    assertRefused("lims.analysis.dispatch.ssh-timeout = \"off\" (environment variable LIMS_SSH_TIMEOUT) is not a duration with its unit, such as 500ms, 30s, 5m or 12h (",
        Map.of(), Map.of("LIMS_SSH_TIMEOUT", "off"));
  }

  private static final Map<String, String> SETTING_OF = Map.of(
      "LIMS_JOIN_TIMEOUT", "pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes",
      "LIMS_PASSIVATE_AFTER", "pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout",
      "LIMS_HTTP_REQUEST_TIMEOUT", "pekko.http.server.request-timeout");

  @Test
  void variablesKubernetesAndDockerSetForAServiceNamedLimsPass() {
    Map<String, String> serviceLims = Map.of(
        "LIMS_SERVICE_HOST", "10.0.0.7", "LIMS_SERVICE_PORT", "8080", "LIMS_SERVICE_PORT_HTTP", "8080",
        "LIMS_PORT", "tcp://10.0.0.7:8080", "LIMS_PORT_8080_TCP", "tcp://10.0.0.7:8080", "LIMS_PORT_8080_TCP_ADDR", "10.0.0.7",
        "LIMS_PORT_8080_TCP_PORT", "8080", "LIMS_PORT_8080_TCP_PROTO", "tcp");
    Map<String, String> serviceLimsDb = Map.of(
        "LIMS_DB_SERVICE_HOST", "10.0.0.8", "LIMS_DB_SERVICE_PORT", "5432", "LIMS_DB_PORT", "tcp://10.0.0.8:5432",
        "LIMS_DB_PORT_5432_TCP_ADDR", "10.0.0.8", "LIMS_DB_NAME", "/lims/lims-db", "LIMS_DB_ENV_POSTGRES_USER", "lims");
    for (String mode : NodeConfig.MODES) {
      NodeConfig.load(mode, Map.of(), serviceLims);
      NodeConfig.load(mode, Map.of(), serviceLimsDb);
    }
    // A port of the node's own is a number: no setting reads LIMS_DB_PORT (the port is in LIMS_DB_URL).
    assertRefused("the environment variable LIMS_DB_PORT is not read by the embedded configuration", Map.of(), Map.of("LIMS_DB_PORT", "5432"));
    assertRefused("the environment variable LIMS_MANAGMENT_PORT is not read by the embedded configuration; did you mean LIMS_MANAGEMENT_PORT?",
        Map.of(), Map.of("LIMS_MANAGMENT_PORT", "8558"));
    // A variable the node reads is its setting, whatever a service named lims-http set it to.
    assertRefused("lims.http.port = \"tcp://10.0.0.9:80\" (environment variable LIMS_HTTP_PORT) is not a whole number",
        Map.of(), Map.of("LIMS_HTTP_PORT", "tcp://10.0.0.9:80"));
  }

  @Test
  void aRefusalDoesNotShowAValueThatMayBeASecret() {
    assertRefused("lims.database.pasword = *** is not a setting; did you mean lims.database.password?",
        Map.of("lims.database.pasword", "S3cr3t"), Map.of());
    assertRefused("lims.security.jwt.secrte = *** is not a setting; did you mean lims.security.jwt.secret?",
        Map.of("lims.security.jwt.secrte", "S3cr3t"), Map.of());
    assertRefused("lims.databse = {\"password\":\"***\"} is not a setting; did you mean lims.database?",
        Map.of("lims.databse", Map.of("password", "S3cr3t")), Map.of());
    // A secret inside a value whose name says nothing of it: a misspelt database url.
    assertRefused("lims.database.ulr = \"jdbc:postgresql://db/lims?user=lims&password=***\" is not a setting; did you mean lims.database.url?",
        Map.of("lims.database.ulr", "jdbc:postgresql://db/lims?user=lims&password=hunter2"), Map.of());
    assertRefused("lims.database.ulr = \"jdbc:postgresql://lims:***@db/lims\" is not a setting; did you mean lims.database.url?",
        Map.of("lims.database.ulr", "jdbc:postgresql://lims:hunter2@db/lims"), Map.of());
    // A duration of a token is not a secret: the refusal shows what is wrong with it.
    assertRefused("lims.security.jwt.access-token-ttl = \"15\" (environment variable LIMS_ACCESS_TOKEN_TTL) is not a duration",
        Map.of(), Map.of("LIMS_ACCESS_TOKEN_TTL", "15"));
  }

  @Test
  void entriesTheLabNamesAreCheckedForTheirKind() {
    Config node = NodeConfig.load("test", Map.of("lims.device.simulated-driver.durations.centrifuge", "3s"), Map.of());
    assertEquals(3, node.getDuration("lims.device.simulated-driver.durations.centrifuge").toSeconds());
    assertRefused("lims.device.simulated-driver.durations.centrifuge = \"fast\" is not a duration with its unit",
        Map.of("lims.device.simulated-driver.durations.centrifuge", "fast"), Map.of());
  }

  @Test
  void dispatchersTakePekkosDispatcherSettingsAndNoOthers() {
    NodeConfig.load("test", Map.of("lims.jdbc-dispatcher.throughput-deadline-time", "10ms"), Map.of());
    assertRefused("lims.jdbc-dispatcher.trhoughput = 2 is not a setting; did you mean lims.jdbc-dispatcher.throughput?",
        Map.of("lims.jdbc-dispatcher.trhoughput", 2), Map.of());
    assertRefused("lims.jdbc-dispatcher.thread-pool-executor.fixed-pool-size = \"eight\" (environment variable LIMS_JDBC_THREADS) is not a number",
        Map.of(), Map.of("LIMS_JDBC_THREADS", "eight"));
  }

  @Test
  void thePipelinesFileHoldsPipelinesTheTestsMapAndTheDefault() throws IOException {
    Path file = write("pipelines {\n  rnaseq { host = h, user = u, private-key = /k, known-hosts = /kh, results = /r, command = run }\n}\n"
        + "pipeline-for-test { rnaseq-panel = rnaseq }\ndefault-pipeline = rnaseq\n");
    Config node = NodeConfig.load("test", Map.of(), Map.of("LIMS_PIPELINES_FILE", file.toString()));
    assertEquals("h", node.getString("lims.analysis.pipelines.rnaseq.host"));
    assertEquals("rnaseq", node.getString("lims.analysis.pipeline-for-test.rnaseq-panel"));
    assertEquals("rnaseq", node.getString("lims.analysis.default-pipeline"));
  }

  @Test
  void theVariablesThePipelinesFileReadsAreKnown() throws IOException {
    Path file = write("pipelines { rnaseq { host = hpc, host = ${?LIMS_HPC_HOST}, user = u, private-key = /k, known-hosts = /kh,"
        + " results = /r, command = run } }\n");
    Config node = NodeConfig.load("test", Map.of(), Map.of("LIMS_PIPELINES_FILE", file.toString(), "LIMS_HPC_HOST", "hpc2.lab"));
    assertEquals("hpc2.lab", node.getString("lims.analysis.pipelines.rnaseq.host"));
  }

  @Test
  void aSettingTheNodeWouldNotReadFromThePipelinesFileIsRefused() throws IOException {
    assertPipelinesFileRefused("dispatch {\n  attempts = 3\n}\n",
        "dispatch = {\"attempts\":3} (" + dir.resolve("pipelines.conf") + ":1) is read from the node's configuration (lims.analysis.dispatch), not from the pipelines file");
    assertPipelinesFileRefused("lims.analysis.default-pipeline = rnaseq\n", "lims = {\"analysis\"");
    assertPipelinesFileRefused("default-pipline = rnaseq\n", "default-pipline = \"rnaseq\" (" + dir.resolve("pipelines.conf") + ":1) is not a setting; did you mean default-pipeline?");
    // Inside pipelines { }, a pipeline-for-test block would be taken for a pipeline of that name.
    assertPipelinesFileRefused("pipelines {\n  pipeline-for-test { rnaseq-panel = rnaseq }\n}\n",
        "lims.analysis.pipelines.pipeline-for-test = {\"rnaseq-panel\":\"rnaseq\"} (" + dir.resolve("pipelines.conf")
            + ":2) is inside pipelines { }: lims.analysis.pipeline-for-test is a setting beside it, not inside it");
    assertPipelinesFileRefused("pipeline-for-test { rnaseq-panel { pipeline = rnaseq } }\n",
        "lims.analysis.pipeline-for-test.rnaseq-panel = {\"pipeline\":\"rnaseq\"} (" + dir.resolve("pipelines.conf") + ":1) is not text");
    // A pipeline's settings that have a default are of its kind: 12 alone would be 12 ms.
    assertPipelinesFileRefused("pipelines { rnaseq { time-limit = 12 } }\n",
        "lims.analysis.pipelines.rnaseq.time-limit = 12 (" + dir.resolve("pipelines.conf") + ":1) is not a duration with its unit");
    assertPipelinesFileRefused("pipelines {\n", "lims.analysis.pipelines-file: " + dir.resolve("pipelines.conf") + ": 2:");
  }

  @Test
  void aSettingGivenDifferentlyInThePipelinesFileAndTheNodesConfigurationIsRefused() throws IOException {
    Path file = write("default-pipeline = wgs\n");
    String refusal = refusal(Map.of(), Map.of("LIMS_PIPELINES_FILE", file.toString(), "LIMS_DEFAULT_PIPELINE", "rnaseq"));
    assertTrue(refusal.contains("lims.analysis.default-pipeline = \"wgs\" (" + file + ":1) is also set, differently, in the node's configuration: "
        + "lims.analysis.default-pipeline = \"rnaseq\" (environment variable LIMS_DEFAULT_PIPELINE)"), refusal);
    assertRefused("lims.analysis.pipelines-file = \"/nonexistent/pipelines.conf\" (environment variable LIMS_PIPELINES_FILE) names a file that cannot be read",
        Map.of(), Map.of("LIMS_PIPELINES_FILE", "/nonexistent/pipelines.conf"));
  }

  private void assertPipelinesFileRefused(String content, String expected) throws IOException {
    Path file = write(content);
    String refusal = refusal(Map.of(), Map.of("LIMS_PIPELINES_FILE", file.toString()));
    assertTrue(refusal.contains(expected), refusal);
  }

  private Path write(String content) throws IOException {
    return Files.writeString(dir.resolve("pipelines.conf"), content);
  }

  private static void assertRefused(String expected, Map<String, ?> overrides, Map<String, String> environment) {
    String refusal = refusal(overrides, environment);
    assertTrue(refusal.startsWith("refusing to start: " + expected), refusal);
  }

  private static String refusal(Map<String, ?> overrides, Map<String, String> environment) {
    String message = assertThrows(ConfigRefused.class, () -> NodeConfig.load("embedded", overrides, environment)).getMessage();
    assertTrue(!message.contains("\n"), "one line: " + message);
    return message;
  }
}
