package lims.scheduling;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import lims.kernel.CborSerializable;

/**
 * What a lab test does when it fires: start a workflow on a device, dispatch an analysis,
 * or call an HTTP endpoint. Every kind is one implementation of {@link Runner}; the entity
 * knows only this interface.
 */
public record LabTestAction(String kind, Map<String, Object> parameters) implements CborSerializable {

  /**
   * One attempt of an execution as the action sees it; {@code executionId} is the idempotency
   * key, the same on every attempt. At {@code deadline} (real time) the attempt counts as
   * failed: work the action still does for it after that is wasted.
   */
  public record Execution(String labTestId, String executionId, Instant dueAt, int attempt, Instant deadline) {}

  /** How an attempt ended, with the lines worth keeping in the execution's log. */
  public record Outcome(boolean succeeded, List<String> log) implements CborSerializable {
    public static Outcome succeeded(String line) {
      return new Outcome(true, List.of(line));
    }

    public static Outcome failed(String line) {
      return new Outcome(false, List.of(line));
    }
  }

  /** Runs actions of the kinds it knows. A failed stage counts as a failed attempt. */
  public interface Runner {
    CompletionStage<Outcome> run(LabTestAction action, Execution execution);
  }
}
