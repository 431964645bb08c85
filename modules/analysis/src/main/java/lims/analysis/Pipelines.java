package lims.analysis;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import lims.kernel.ConfigRefused;

/**
 * The configured pipelines, and the one rule that picks a pipeline for an analysis: the
 * one the caller named, else the one mapped to the specimen's first test that has one,
 * else the default. No pipelines at all means manual mode: analyses are not dispatched
 * and outcomes are reported through the API (decision 0016).
 */
public final class Pipelines {

  private final Map<String, Pipeline> byName;
  private final Map<String, String> forTest;
  private final String defaultPipeline;

  Pipelines(Map<String, Pipeline> byName, Map<String, String> forTest, String defaultPipeline) {
    this.byName = Map.copyOf(byName);
    this.forTest = Map.copyOf(forTest);
    this.defaultPipeline = defaultPipeline;
    forTest.forEach((test, name) -> requireKnown(name, "lims.analysis.pipeline-for-test." + test));
    if (!defaultPipeline.isEmpty()) requireKnown(defaultPipeline, "lims.analysis.default-pipeline");
  }

  /**
   * From {@code lims.analysis}: {@code pipelines { name { ... } }}, {@code pipeline-for-test} and
   * {@code default-pipeline}, those of the pipelines file already merged in (lims.kernel.NodeConfig).
   */
  public static Pipelines fromConfig(Config analysis) {
    Config pipelines = analysis.getConfig("pipelines");
    Map<String, Pipeline> byName = new TreeMap<>();
    for (String name : pipelines.root().keySet()) {
      byName.put(name, Pipeline.fromConfig(name, pipelines.getObject(ConfigUtil.joinPath(name)), analysis.getConfig("pipeline-defaults")));
    }
    Map<String, String> forTest = new LinkedHashMap<>();
    analysis.getConfig("pipeline-for-test").root().unwrapped().forEach((test, name) -> forTest.put(test, String.valueOf(name)));
    return new Pipelines(byName, forTest, analysis.getString("default-pipeline"));
  }

  private void requireKnown(String name, String setting) {
    if (!byName.containsKey(name)) {
      throw new ConfigRefused("refusing to start: " + setting + " names pipeline '" + name + "', which is not configured");
    }
  }

  /** No pipeline configured: analyses are reported by hand. */
  public boolean manualMode() {
    return byName.isEmpty();
  }

  public Optional<Pipeline> named(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public List<Pipeline> all() {
    return List.copyOf(byName.values());
  }

  /** The pipeline for an analysis, or why there is none. */
  public Resolved resolve(String requested, List<String> testsRequested) {
    if (requested != null) {
      return named(requested).map(Resolved::of).orElse(Resolved.failed("pipeline '" + requested + "' is not configured"));
    }
    for (String test : testsRequested) {
      if (forTest.containsKey(test)) return Resolved.of(byName.get(forTest.get(test)));
    }
    if (!defaultPipeline.isEmpty()) return Resolved.of(byName.get(defaultPipeline));
    return Resolved.failed("no pipeline is configured for tests " + testsRequested + " and there is no default pipeline");
  }

  /**
   * Why a client's parameters cannot be used, if they cannot (the API answers 400 with it):
   * all of the named pipeline's rules, or, when the lab picks the pipeline, the patterns.
   */
  public Optional<String> check(String requested, Map<String, String> parameters) {
    Optional<Pipeline> pipeline = requested == null ? Optional.empty() : named(requested);
    if (pipeline.isPresent()) return pipeline.get().command().check(parameters);
    for (var e : parameters.entrySet()) {
      Optional<String> wrong = CommandTemplate.checkParameter(e.getKey(), e.getValue());
      if (wrong.isPresent()) return wrong;
    }
    return Optional.empty();
  }

  /** A field of a request the rules refuse ({@code data.pipeline}, say), and why. */
  public record Invalid(String field, String why) {}

  /**
   * What a client's request for a run ({@code data} of the specimen transition into
   * IN_ANALYSIS) gets wrong, if anything: {@code pipeline} must name a configured pipeline and
   * {@code parameters} be strings the command template accepts, so nothing a client sends
   * reaches a shell unchecked. The first problem found, by the field it is in.
   */
  public Optional<Invalid> checkRequest(Map<String, Object> data) {
    Object pipeline = data.get("pipeline");
    if (pipeline != null && !(pipeline instanceof String)) return Optional.of(new Invalid("data.pipeline", "must be a string"));
    if (pipeline != null && named((String) pipeline).isEmpty()) {
      return Optional.of(new Invalid("data.pipeline", manualMode()
          ? "no analysis pipelines are configured; analyses are reported by hand"
          : "must be one of " + all().stream().map(Pipeline::name).toList()));
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    Object given = data.getOrDefault("parameters", Map.of());
    if (!(given instanceof Map<?, ?> map)) return Optional.of(new Invalid("data.parameters", "must be an object of strings"));
    for (var e : map.entrySet()) {
      if (!(e.getValue() instanceof String value)) return Optional.of(new Invalid("data.parameters." + e.getKey(), "must be a string"));
      parameters.put(String.valueOf(e.getKey()), value);
    }
    return check((String) pipeline, parameters).map(reason -> new Invalid("data.parameters", reason));
  }

  public record Resolved(Pipeline pipeline, String failure) {
    static Resolved of(Pipeline p) {
      return new Resolved(p, null);
    }

    static Resolved failed(String why) {
      return new Resolved(null, why);
    }
  }
}
