package lims.specimen;

import static lims.specimen.SpecimenState.*;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import lims.kernel.Role;
import lims.kernel.WireNames;

/**
 * The specimen lifecycle (docs/domain.md, Specimens) as data: the only place that says which action
 * moves a specimen from which states to which, who may take it, and whether it needs a
 * reason. The entity decides with it and every response's {@code allowed_actions} lists
 * from it.
 */
public final class TransitionTable {

  /**
   * Every action of the lifecycle, spelled on the wire and in the journal in lower case
   * ({@link #wireName()}). The rules beyond the table that the entity keys on an action read
   * from here too, so no other class spells an action name.
   */
  public enum Action {
    ASSIGN_BARCODE,
    RECEIVE,
    START_PREPARATION,
    FINISH_PREPARATION,
    PASS_QC,
    FAIL_QC,
    /** Asks for a linked replacement specimen. */
    REQUEST_RESAMPLE,
    START_EXPERIMENT,
    /** Back to the bench: the current analysis run is cancelled and its results invalidated. */
    REQUEST_REEXPERIMENT,
    /** Its user is the experimenter, who may not approve the specimen (four eyes). */
    FINISH_EXPERIMENT,
    RETRY_ANALYSIS,
    ANALYSIS_FAILED,
    ANALYSIS_SUCCEEDED,
    /** By a reviewer other than the experimenter (four eyes). */
    APPROVE,
    REPORT_RENDERED,
    DELIVER,
    CANCEL;

    public String wireName() {
      return WireNames.of(this);
    }

    public static Optional<Action> fromWireName(String name) {
      return WireNames.parse(Action.class, name);
    }

    /** A run's outcome: it must name the specimen's current run when it names one. */
    public boolean reportsAnalysisOutcome() {
      return this == ANALYSIS_SUCCEEDED || this == ANALYSIS_FAILED;
    }

    /** Whether this action's name is {@code name} (an event's or a history entry's). */
    public boolean named(String name) {
      return wireName().equals(name);
    }
  }

  /** The history entry of a registration (not an action of the table: it creates the specimen). */
  public static final String REGISTER = "register";
  /** The history entry of a location change (not an action of the table: the state stays). */
  public static final String SET_LOCATION = "set_location";

  /** One action: from any of {@code from} to {@code to}, by one of {@code roles}. */
  public record Transition(Action kind, Set<SpecimenState> from, SpecimenState to, Set<Role> roles, boolean reasonRequired) {
    /** The action's wire name. */
    public String action() {
      return kind.wireName();
    }
  }

  private static final Set<Role> LAB = EnumSet.of(Role.ADMIN, Role.TECHNICIAN);
  private static final Set<Role> EXPERIMENT = EnumSet.of(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST);
  /** Outcomes the system reports (analysis pipelines, report rendering); instrument adapters act for it. */
  private static final Set<Role> SYSTEM = EnumSet.of(Role.ADMIN, Role.INSTRUMENT);

  /** States that accept no further action. */
  public static final Set<SpecimenState> FINAL = EnumSet.of(RESAMPLE_REQUESTED, DELIVERED, CANCELLED);

  public static final List<Transition> TRANSITIONS = List.of(
      new Transition(Action.ASSIGN_BARCODE, EnumSet.of(REGISTERED), BARCODED, LAB, false),
      new Transition(Action.RECEIVE, EnumSet.of(BARCODED), RECEIVED, LAB, false),
      new Transition(Action.START_PREPARATION, EnumSet.of(RECEIVED), IN_PREPARATION, LAB, false),
      new Transition(Action.FINISH_PREPARATION, EnumSet.of(IN_PREPARATION), QC_PENDING, LAB, false),
      new Transition(Action.PASS_QC, EnumSet.of(QC_PENDING), QC_PASSED, LAB, false),
      new Transition(Action.FAIL_QC, EnumSet.of(QC_PENDING), QC_FAILED, LAB, true),
      new Transition(Action.REQUEST_RESAMPLE, EnumSet.of(QC_FAILED, IN_REVIEW), RESAMPLE_REQUESTED,
          EnumSet.of(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST, Role.REVIEWER), true),
      new Transition(Action.START_EXPERIMENT, EnumSet.of(QC_PASSED), IN_EXPERIMENT, EXPERIMENT, false),
      new Transition(Action.REQUEST_REEXPERIMENT, EnumSet.of(IN_ANALYSIS, ANALYSIS_FAILED, IN_REVIEW), IN_EXPERIMENT,
          EnumSet.of(Role.ADMIN, Role.SCIENTIST, Role.REVIEWER), true),
      new Transition(Action.FINISH_EXPERIMENT, EnumSet.of(IN_EXPERIMENT), IN_ANALYSIS, EXPERIMENT, false),
      new Transition(Action.RETRY_ANALYSIS, EnumSet.of(ANALYSIS_FAILED), IN_ANALYSIS, EXPERIMENT, false),
      new Transition(Action.ANALYSIS_FAILED, EnumSet.of(IN_ANALYSIS), ANALYSIS_FAILED, SYSTEM, false),
      new Transition(Action.ANALYSIS_SUCCEEDED, EnumSet.of(IN_ANALYSIS), IN_REVIEW, SYSTEM, false),
      new Transition(Action.APPROVE, EnumSet.of(IN_REVIEW), APPROVED, EnumSet.of(Role.REVIEWER), false),
      new Transition(Action.REPORT_RENDERED, EnumSet.of(APPROVED), REPORTED, SYSTEM, false),
      new Transition(Action.DELIVER, EnumSet.of(REPORTED), DELIVERED, EnumSet.of(Role.ADMIN, Role.TECHNICIAN, Role.INSTRUMENT), false),
      new Transition(Action.CANCEL, EnumSet.complementOf(EnumSet.copyOf(FINAL)), CANCELLED,
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
