package lims.analysis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pipeline's command with placeholders: {@code {analysis_id}}, {@code {specimen_id}},
 * {@code {barcode}}, {@code {result_dir}} and {@code {param:NAME}}. The template's literal
 * text comes from the operator's configuration; every value put into it is checked
 * against a strict pattern and single-quoted, so nothing a client sends reaches a shell
 * unquoted (docs/domain.md, Analyses).
 */
public final class CommandTemplate {

  /** Parameter names and values a client may send; the API refuses anything else with 400. */
  public static final Pattern PARAMETER_NAME = Pattern.compile("[a-z][a-z0-9_]{0,31}");
  public static final Pattern PARAMETER_VALUE = Pattern.compile("[A-Za-z0-9._:/@+=,-]{0,200}");
  public static final String PARAMETER_VALUE_RULE = "0-200 letters, digits or ._:/@+=,-";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{(analysis_id|specimen_id|barcode|result_dir|param:([a-z][a-z0-9_]{0,31}))}");
  private static final Pattern UNKNOWN_PLACEHOLDER = Pattern.compile("\\{[A-Za-z0-9_:]+}");
  /** Ids and barcodes are the system's own, but are checked all the same. */
  private static final Pattern ID_VALUE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,119}");
  private static final Pattern PATH_VALUE = Pattern.compile("/[A-Za-z0-9._/-]{0,500}");

  private final String template;
  private final List<String> parameters;

  private CommandTemplate(String template, List<String> parameters) {
    this.template = template;
    this.parameters = parameters;
  }

  public static CommandTemplate parse(String template) {
    if (template.isBlank()) throw new IllegalArgumentException("a pipeline command must not be blank");
    List<String> parameters = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(template);
    while (m.find()) {
      if (m.group(2) != null) parameters.add(m.group(2));
    }
    String rest = PLACEHOLDER.matcher(template).replaceAll("");
    if (UNKNOWN_PLACEHOLDER.matcher(rest).find()) {
      throw new IllegalArgumentException("unknown placeholder in pipeline command '" + template
          + "'; known: {analysis_id} {specimen_id} {barcode} {result_dir} {param:NAME}");
    }
    return new CommandTemplate(template, List.copyOf(parameters));
  }

  /** Why these parameters cannot be used, if they cannot: a missing one, an unknown name or a value outside the pattern. */
  public Optional<String> check(Map<String, String> given) {
    for (var e : given.entrySet()) {
      Optional<String> wrong = checkParameter(e.getKey(), e.getValue());
      if (wrong.isPresent()) return wrong;
      if (!parameters.contains(e.getKey())) return Optional.of("the pipeline takes no parameter '" + e.getKey() + "'; it takes " + parameters);
    }
    for (String p : parameters) {
      if (!given.containsKey(p)) return Optional.of("the pipeline needs parameter '" + p + "'");
    }
    return Optional.empty();
  }

  /** Why one parameter is refused whatever the pipeline, if it is: a name or value outside its pattern. */
  public static Optional<String> checkParameter(String name, String value) {
    if (name == null || !PARAMETER_NAME.matcher(name).matches()) {
      return Optional.of("parameter name '" + name + "' must be a lower-case letter then up to 31 lower-case letters, digits or _");
    }
    if (value == null || !PARAMETER_VALUE.matcher(value).matches()) {
      return Optional.of("parameter '" + name + "' must be " + PARAMETER_VALUE_RULE);
    }
    return Optional.empty();
  }

  /** The command for one analysis; throws IllegalArgumentException when a value breaks its pattern. */
  public String render(String analysisId, String specimenId, String barcode, String resultDir, Map<String, String> given) {
    check(given).ifPresent(reason -> {
      throw new IllegalArgumentException(reason);
    });
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = switch (m.group(1)) {
        case "analysis_id" -> checked("analysis_id", analysisId, ID_VALUE);
        case "specimen_id" -> checked("specimen_id", specimenId, ID_VALUE);
        case "barcode" -> checked("barcode", barcode, ID_VALUE);
        case "result_dir" -> checked("result_dir", resultDir, PATH_VALUE);
        default -> given.get(m.group(2));
      };
      m.appendReplacement(out, Matcher.quoteReplacement(Shell.quote(value)));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String checked(String name, String value, Pattern pattern) {
    if (value == null || !pattern.matcher(value).matches()) {
      throw new IllegalArgumentException(name + " '" + value + "' is not allowed in a command");
    }
    return value;
  }

  @Override
  public String toString() {
    return template;
  }
}
