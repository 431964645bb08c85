package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lims.kernel.ConfigRefused;
import lims.kernel.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pipeline configuration: what a node refuses to start with, and which pipeline analyses a specimen. */
class PipelinesTest {

  static final String BASE = "pipeline-defaults { port = 22, time-limit = 12h, tmux-socket = lims }\n";
  static final String ONE = "{ host = h, user = u, private-key = /k, known-hosts = /kh, results = /r, command = \"run {specimen_id} {param:genome}\" }";

  static Pipelines load(String hocon) {
    Config c = ConfigFactory.parseString(BASE + hocon).resolve();
    return Pipelines.fromConfig(c);
  }

  @Test
  void noPipelinesIsManualMode() {
    Pipelines none = load("pipelines {}\npipeline-for-test {}\ndefault-pipeline = \"\"");
    assertTrue(none.manualMode());
  }

  /** A run request on entering IN_ANALYSIS: each problem named by the field it is in, nothing unchecked reaching a shell. */
  @Test
  void aRunRequestNamesAConfiguredPipelineAndParametersItsCommandAccepts() {
    Pipelines p = load("pipelines { wgs = " + ONE + " }\npipeline-for-test {}\ndefault-pipeline = wgs");
    assertEquals(java.util.Optional.empty(), p.checkRequest(Map.of("pipeline", "wgs", "parameters", Map.of("genome", "hg38"))));
    assertEquals(java.util.Optional.empty(), p.checkRequest(Map.of()), "the lab picks the pipeline");
    assertEquals("data.pipeline", p.checkRequest(Map.of("pipeline", 7)).orElseThrow().field());
    assertTrue(p.checkRequest(Map.of("pipeline", "rna")).orElseThrow().why().contains("[wgs]"));
    assertEquals("data.parameters", p.checkRequest(Map.of("parameters", List.of("x"))).orElseThrow().field());
    assertEquals("data.parameters.genome", p.checkRequest(Map.of("parameters", Map.of("genome", 38))).orElseThrow().field());
    assertEquals("data.parameters", p.checkRequest(Map.of("pipeline", "wgs", "parameters", Map.of("genome", "hg38; rm -rf /"))).orElseThrow().field());
    Pipelines none = load("pipelines {}\npipeline-for-test {}\ndefault-pipeline = \"\"");
    assertTrue(none.checkRequest(Map.of("pipeline", "wgs")).orElseThrow().why().contains("reported by hand"));
  }

  @Test
  void thePipelineIsTheNamedOneElseTheTestsElseTheDefault() {
    Pipelines p = load("pipelines { wgs = " + ONE + ", rna = " + ONE + ", qc = " + ONE + " }\n"
        + "pipeline-for-test { rnaseq-panel = rna }\ndefault-pipeline = qc");
    assertEquals("wgs", p.resolve("wgs", List.of("rnaseq-panel")).pipeline().name());
    assertEquals("rna", p.resolve(null, List.of("crp", "rnaseq-panel")).pipeline().name());
    assertEquals("qc", p.resolve(null, List.of("crp")).pipeline().name());
    Pipelines.Resolved unknown = p.resolve("nope", List.of());
    assertNull(unknown.pipeline());
    assertTrue(unknown.failure().contains("nope"));
    assertEquals(12, p.named("wgs").orElseThrow().timeLimit().toHours(), "the default bound");
  }

  @Test
  void withoutADefaultAnUnmappedTestHasNoPipeline() {
    Pipelines p = load("pipelines { wgs = " + ONE + " }\npipeline-for-test {}\ndefault-pipeline = \"\"");
    assertTrue(p.resolve(null, List.of("crp")).failure().contains("no pipeline"));
  }

  @Test
  void parametersAreCheckedAgainstTheNamedPipelineOrAtLeastThePatterns() {
    Pipelines p = load("pipelines { wgs = " + ONE + " }\npipeline-for-test {}\ndefault-pipeline = wgs");
    assertTrue(p.check("wgs", Map.of("genome", "GRCh38")).isEmpty());
    assertTrue(p.check("wgs", Map.of()).orElseThrow().contains("genome"));
    assertTrue(p.check(null, Map.of("genome", "$(id)")).isPresent());
    assertTrue(p.check(null, Map.of("Bad-Name", "x")).isPresent());
  }

  @Test
  void aNodeRefusesPipelineSettingsThatCannotWork() {
    assertRefused("lims.analysis.pipeline-for-test.x names pipeline 'missing', which is not configured",
        "pipelines { wgs = " + ONE + " }\npipeline-for-test { x = missing }\ndefault-pipeline = \"\"");
    assertRefused("lims.analysis.default-pipeline names pipeline 'other', which is not configured",
        "pipelines { wgs = " + ONE + " }\npipeline-for-test {}\ndefault-pipeline = other");
    assertRefused("lims.analysis.pipelines.\"Bad Name\" = ", "pipelines { \"Bad Name\" = " + ONE + " }\npipeline-for-test {}\ndefault-pipeline = \"\"");
    assertRefused("lims.analysis.pipelines.wgs.command = \"run {sample}\" is refused: unknown placeholder",
        "pipelines { wgs = { host = h, user = u, private-key = /k, known-hosts = /kh, "
        + "results = /r, command = \"run {sample}\" } }\npipeline-for-test {}\ndefault-pipeline = \"\"");
    assertRefused("lims.analysis.pipelines.wgs = {\"command\":\"run\",\"host\":\"h\"} has no user",
        "pipelines { wgs = { host = h, command = run } }\npipeline-for-test {}\ndefault-pipeline = \"\"");
    // A misspelt setting would otherwise leave its default in force: here, the 12 h bound.
    assertRefused("lims.analysis.pipelines.wgs.time-limt = \"24h\" is not a pipeline setting; did you mean time-limit?",
        "pipelines { wgs = " + ONE.replace("}", ", time-limt = 24h }") + " }\npipeline-for-test {}\ndefault-pipeline = \"\"");
  }

  /** The example of docs/operations.md, as a pipelines file: its tests' mapping and its default are both in force. */
  @Test
  void theOperationsGuidesPipelinesFileWorksAsWritten(@TempDir Path dir) throws IOException {
    String guide = Files.readString(Path.of("../../docs/operations.md"));
    Matcher example = Pattern.compile("(?s)```hocon\n(pipelines \\{.*?)```").matcher(guide);
    assertTrue(example.find(), "docs/operations.md shows a pipelines file");
    Path file = Files.writeString(dir.resolve("pipelines.conf"), example.group(1));

    Pipelines p = Pipelines.fromConfig(NodeConfig.load("test", Map.of(), Map.of("LIMS_PIPELINES_FILE", file.toString())).getConfig("lims.analysis"));
    assertEquals(List.of("rnaseq"), p.all().stream().map(Pipeline::name).toList());
    assertEquals("rnaseq", p.resolve(null, List.of("rnaseq-panel")).pipeline().name());
    assertEquals("rnaseq", p.resolve(null, List.of("crp")).pipeline().name(), "the default");
  }

  @Test
  void aTestMappedInThePipelinesFileRunsItsPipelineNotTheDefault(@TempDir Path dir) throws IOException {
    Path file = Files.writeString(dir.resolve("pipelines.conf"), "pipelines { wgs = " + ONE + ", rna = " + ONE + " }\n"
        + "pipeline-for-test { rnaseq-panel = rna }\ndefault-pipeline = wgs\n");
    Pipelines p = Pipelines.fromConfig(NodeConfig.load("test", Map.of(), Map.of("LIMS_PIPELINES_FILE", file.toString())).getConfig("lims.analysis"));
    assertEquals("rna", p.resolve(null, List.of("crp", "rnaseq-panel")).pipeline().name());
    assertEquals("wgs", p.resolve(null, List.of("crp")).pipeline().name());
  }

  private static void assertRefused(String expected, String hocon) {
    String refusal = assertThrows(ConfigRefused.class, () -> load(hocon)).getMessage();
    assertTrue(refusal.startsWith("refusing to start: " + expected), refusal);
  }
}
