package lims.http;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The guard of docs/architecture.md (Modules; Where each rule lives): each rule has one home,
 * and these rules fail the build when code puts one somewhere else (decision 0046).
 */
class ArchitectureTest {

  /** The node's own classes, every module's, without tests (test classes build what they need). */
  static final JavaClasses LIMS = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .withImportOption(location -> !location.contains("-tests.jar") && !location.contains("/test-classes/"))
      .importPackages("lims");

  /**
   * The commands that drive a workflow's steps and its booking: only the workflow context
   * sends them, so the step saga has one home.
   */
  static final Set<String> STEP_COMMANDS = Set.of("BeginStep", "StepAccepted", "ReleaseStep", "EndStep", "Granted", "MarkQueued", "Fail")
      .stream().map(name -> "lims.workflow.Workflow$" + name).collect(java.util.stream.Collectors.toUnmodifiableSet());

  @Test
  void onlyTheWorkflowContextBuildsWorkflowStepCommands() {
    noClasses().that().resideOutsideOfPackage("lims.workflow..")
        .should().callConstructorWhere(new DescribedPredicate<JavaConstructorCall>("builds a workflow step command " + STEP_COMMANDS) {
          @Override
          public boolean test(JavaConstructorCall call) {
            return STEP_COMMANDS.contains(call.getTargetOwner().getName());
          }
        })
        .because("the step saga lives in the workflow context (issue 20); a route or another context asks Workflows")
        .check(LIMS);
  }

  /** The documented directions (docs/architecture.md, Modules), and no other. */
  @Test
  void contextsDependOnlyAlongTheDocumentedDirections() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("http").definedBy("lims.http..")
        .layer("scheduling").definedBy("lims.scheduling..")
        .layer("workflow").definedBy("lims.workflow..")
        .layer("analysis").definedBy("lims.analysis..")
        .layer("reporting").definedBy("lims.reporting..")
        .layer("telemetry").definedBy("lims.telemetry..")
        .layer("device").definedBy("lims.device..")
        .layer("specimen").definedBy("lims.specimen..")
        .layer("security").definedBy("lims.security..")
        .layer("kernel").definedBy("lims.kernel..")
        .whereLayer("http").mayNotBeAccessedByAnyLayer()
        .whereLayer("scheduling").mayOnlyBeAccessedByLayers("http")
        .whereLayer("workflow").mayOnlyBeAccessedByLayers("scheduling", "http")
        .whereLayer("analysis").mayOnlyBeAccessedByLayers("scheduling", "http")
        .whereLayer("reporting").mayOnlyBeAccessedByLayers("http")
        .whereLayer("telemetry").mayOnlyBeAccessedByLayers("http")
        .whereLayer("device").mayOnlyBeAccessedByLayers("workflow", "scheduling", "telemetry", "http")
        .whereLayer("specimen").mayOnlyBeAccessedByLayers("workflow", "analysis", "reporting", "http")
        .whereLayer("security").mayOnlyBeAccessedByLayers("http")
        .whereLayer("kernel").mayOnlyBeAccessedByLayers("http", "scheduling", "workflow", "analysis", "reporting", "telemetry", "device", "specimen",
            "security")
        .check(LIMS);
  }

  @Test
  void theHttpEdgeHoldsNoSql() {
    noClasses().that().resideInAPackage("lims.http..")
        .should().dependOnClassesThat().resideInAnyPackage("java.sql..", "javax.sql..")
        .because("tables belong to their context (or the kernel); the edge parses, asks and answers")
        .check(LIMS);
  }

  @Test
  void theHttpEdgeReadsNoClock() {
    noClasses().that().resideInAPackage("lims.http..")
        .should().callMethod(Instant.class, "now")
        .because("an instant that matters (custody, an estimate, a schedule's past) is taken by the context that decides with it")
        .check(LIMS);
  }
}
