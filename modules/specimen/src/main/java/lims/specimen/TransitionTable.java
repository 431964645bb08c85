package lims.specimen;

import static lims.specimen.SpecimenState.*;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import lims.kernel.Role;

/**
 * The specimen lifecycle (docs/domain.md, Specimens) as data: the only place that says which action
 * moves a specimen from which states to which, who may take it, and whether it needs a
 * reason. The entity decides with it and every response's {@code allowed_actions} lists
 * from it.
 */
public final class TransitionTable {

  /** One action: from any of {@code from} to {@code to}, by one of {@code roles}. */
  public record Transition(String action, Set<SpecimenState> from, SpecimenState to, Set<Role> roles, boolean reasonRequired) {}

  private static final Set<Role> LAB = EnumSet.of(Role.ADMIN, Role.TECHNICIAN);
  private static final Set<Role> EXPERIMENT = EnumSet.of(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST);
  /** Outcomes the system reports (analysis pipelines, report rendering); instrument adapters act for it. */
  private static final Set<Role> SYSTEM = EnumSet.of(Role.ADMIN, Role.INSTRUMENT);

  /** States that accept no further action. */
  public static final Set<SpecimenState> FINAL = EnumSet.of(RESAMPLE_REQUESTED, DELIVERED, CANCELLED);

  public static final List<Transition> TRANSITIONS = List.of(
      new Transition("assign_barcode", EnumSet.of(REGISTERED), BARCODED, LAB, false),
      new Transition("receive", EnumSet.of(BARCODED), RECEIVED, LAB, false),
      new Transition("start_preparation", EnumSet.of(RECEIVED), IN_PREPARATION, LAB, false),
      new Transition("finish_preparation", EnumSet.of(IN_PREPARATION), QC_PENDING, LAB, false),
      new Transition("pass_qc", EnumSet.of(QC_PENDING), QC_PASSED, LAB, false),
      new Transition("fail_qc", EnumSet.of(QC_PENDING), QC_FAILED, LAB, true),
      new Transition("request_resample", EnumSet.of(QC_FAILED, IN_REVIEW), RESAMPLE_REQUESTED,
          EnumSet.of(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST, Role.REVIEWER), true),
      new Transition("start_experiment", EnumSet.of(QC_PASSED), IN_EXPERIMENT, EXPERIMENT, false),
      new Transition("request_reexperiment", EnumSet.of(IN_ANALYSIS, ANALYSIS_FAILED, IN_REVIEW), IN_EXPERIMENT,
          EnumSet.of(Role.ADMIN, Role.SCIENTIST, Role.REVIEWER), true),
      new Transition("finish_experiment", EnumSet.of(IN_EXPERIMENT), IN_ANALYSIS, EXPERIMENT, false),
      new Transition("retry_analysis", EnumSet.of(ANALYSIS_FAILED), IN_ANALYSIS, EXPERIMENT, false),
      new Transition("analysis_failed", EnumSet.of(IN_ANALYSIS), ANALYSIS_FAILED, SYSTEM, false),
      new Transition("analysis_succeeded", EnumSet.of(IN_ANALYSIS), IN_REVIEW, SYSTEM, false),
      new Transition("approve", EnumSet.of(IN_REVIEW), APPROVED, EnumSet.of(Role.REVIEWER), false),
      new Transition("report_rendered", EnumSet.of(APPROVED), REPORTED, SYSTEM, false),
      new Transition("deliver", EnumSet.of(REPORTED), DELIVERED, EnumSet.of(Role.ADMIN, Role.TECHNICIAN, Role.INSTRUMENT), false),
      new Transition("cancel", EnumSet.complementOf(EnumSet.copyOf(FINAL)), CANCELLED,
          EnumSet.of(Role.ADMIN, Role.TECHNICIAN, Role.REVIEWER), true));

  private TransitionTable() {}

  public static Optional<Transition> action(String name) {
    return TRANSITIONS.stream().filter(t -> t.action().equals(name)).findFirst();
  }

  /** The transition an action takes from a state, if it is legal there. */
  public static Optional<Transition> from(SpecimenState state, String action) {
    return action(action).filter(t -> t.from().contains(state));
  }

  /** Every action legal in a state, in table order. */
  public static List<String> allowedActions(SpecimenState state) {
    return TRANSITIONS.stream().filter(t -> t.from().contains(state)).map(Transition::action).toList();
  }

  /** The role under which a user with these roles takes the action; empty when none may. */
  public static Optional<Role> actingRole(Transition t, Collection<Role> roles) {
    return roles.stream().filter(t.roles()::contains).sorted().findFirst();
  }

  /** The role recorded for work outside the table (registration, location): the preferred one if the user has it. */
  public static Role actingRoleFor(Collection<Role> roles, Role preferred) {
    return roles.contains(preferred) ? preferred : roles.stream().sorted().findFirst().orElse(preferred);
  }

  public static List<String> actions() {
    return TRANSITIONS.stream().map(Transition::action).toList();
  }
}
