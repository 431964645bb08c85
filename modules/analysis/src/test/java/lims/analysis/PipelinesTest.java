package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pipeline configuration: what a node refuses to start with, and which pipeline analyses a specimen. */
class PipelinesTest {

  static final String BASE = "pipeline-defaults { port = 22, time-limit = 12h, tmux-socket = lims }\npipelines-file = \"\"\n";
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
    assertThrows(IllegalArgumentException.class, () -> load("pipelines { wgs = " + ONE + " }\npipeline-for-test { x = missing }\ndefault-pipeline = \"\""));
    assertThrows(IllegalArgumentException.class, () -> load("pipelines { wgs = " + ONE + " }\npipeline-for-test {}\ndefault-pipeline = other"));
    assertThrows(IllegalArgumentException.class, () -> load("pipelines { \"Bad Name\" = " + ONE + " }\npipeline-for-test {}\ndefault-pipeline = \"\""));
    assertThrows(IllegalArgumentException.class, () -> load("pipelines { wgs = { host = h, user = u, private-key = /k, known-hosts = /kh, "
        + "results = /r, command = \"run {sample}\" } }\npipeline-for-test {}\ndefault-pipeline = \"\""));
    assertThrows(ConfigException.Missing.class, () -> load("pipelines { wgs = { host = h, command = run } }\npipeline-for-test {}\ndefault-pipeline = \"\""));
  }
}
