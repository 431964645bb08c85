package lims.workflow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lims.device.Devices;
import lims.device.Priority;
import lims.kernel.WireNames;
import lims.specimen.Barcodes;

/**
 * What a caller asks to create: the one definition of a valid workflow (docs/domain.md,
 * Workflows), for {@code POST /workflows} and a lab test's workflow action alike. A name of
 * 1-200 characters, a device id, up to 96 sample barcodes with valid check characters, 1-200
 * steps each an operation name or {operation, parameters}, a priority. {@link Workflows#create}
 * checks it, then checks it against the device (each step an operation of its type) and the
 * samples (each an existing specimen).
 */
public record WorkflowSpec(String name, String deviceId, List<String> sampleBarcodes, List<Workflow.Step> steps, Priority priority) {

  public static final int MAX_NAME = 200;
  public static final int MAX_SAMPLES = 96;
  public static final int MAX_STEPS = 200;
  public static final String DEVICE_ID_RULE = "1-64 lower-case letters, digits or '-'";
  public static final String PRIORITY_RULE = "must be one of " + WireNames.list(Priority.class);

  /** A field at fault, named as a request names it ({@code steps[2]}). */
  public record Problem(String field, String message) {
    public String line() {
      return field + ": " + message;
    }
  }

  /**
   * Steps from their JSON form, a list of operation names or {operation, parameters} objects
   * (as Jackson reads JSON into plain Java: lists, maps, strings). Each step at fault is added
   * to {@code problems}, named {@code steps[i]}.
   */
  @SuppressWarnings("unchecked")
  public static List<Workflow.Step> steps(Object raw, List<Problem> problems) {
    List<Workflow.Step> steps = new ArrayList<>();
    if (!(raw instanceof List<?> given)) {
      problems.add(new Problem("steps", "must be an array of operation names or {operation, parameters}"));
      return steps;
    }
    if (given.isEmpty()) {
      problems.add(new Problem("steps", "must name at least one step"));
      return steps;
    }
    if (given.size() > MAX_STEPS) {
      problems.add(new Problem("steps", "must have at most " + MAX_STEPS + " steps"));
      return steps;
    }
    for (int i = 0; i < given.size(); i++) {
      Object step = given.get(i);
      if (step instanceof String operation) {
        steps.add(new Workflow.Step(operation, Map.of()));
      } else if (step instanceof Map<?, ?> m && m.get("operation") instanceof String operation
          && (!m.containsKey("parameters") || m.get("parameters") instanceof Map)) {
        Object parameters = m.containsKey("parameters") ? m.get("parameters") : Map.of();
        steps.add(new Workflow.Step(operation, (Map<String, Object>) parameters));
      } else {
        problems.add(new Problem("steps[" + i + "]", "must be an operation name or {operation, parameters}"));
      }
    }
    return steps;
  }

  /** What is wrong with this spec before its device and samples are asked; empty when nothing is. */
  public List<Problem> problems() {
    List<Problem> problems = new ArrayList<>();
    if (name == null || name.isBlank() || name.length() > MAX_NAME) {
      problems.add(new Problem("name", "must be 1-" + MAX_NAME + " characters"));
    }
    if (deviceId == null || !Devices.DEVICE_ID.matcher(deviceId).matches()) problems.add(new Problem("device_id", DEVICE_ID_RULE));
    if (sampleBarcodes.size() > MAX_SAMPLES) problems.add(new Problem("sample_barcodes", "must have at most " + MAX_SAMPLES + " items"));
    for (int i = 0; i < sampleBarcodes.size(); i++) {
      if (!Barcodes.validFormat(sampleBarcodes.get(i))) {
        problems.add(new Problem("sample_barcodes[" + i + "]", "a barcode with a valid check character"));
      }
    }
    if (steps.isEmpty()) problems.add(new Problem("steps", "must name at least one step"));
    if (steps.size() > MAX_STEPS) problems.add(new Problem("steps", "must have at most " + MAX_STEPS + " steps"));
    if (priority == null) problems.add(new Problem("priority", PRIORITY_RULE));
    return problems;
  }
}
