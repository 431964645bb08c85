package lims.workflow;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import lims.kernel.projection.ReadTableHandler;

/** Keeps workflow, workflow_sample and workflow_step; exactly once, committed with its offset. */
public final class WorkflowProjection extends ReadTableHandler<Workflow.Event> {

  public static final String NAME = "workflow-read-tables";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected void apply(Connection c, Workflow.Event event) throws Exception {
    if (event instanceof Workflow.WorkflowCreated e) {
      update(c, "INSERT INTO workflow (id, name, device_id, status, priority, created_by, created_at) VALUES (?, ?, ?, 'created', ?, ?, ?)",
          e.workflowId(), e.name(), e.deviceId(), e.priority(), e.custody().userId(), ts(e.custody().at()));
      for (int i = 0; i < e.samples().size(); i++) {
        update(c, "INSERT INTO workflow_sample (workflow_id, position, barcode, specimen_id) VALUES (?, ?, ?, ?)",
            e.workflowId(), i, e.samples().get(i).barcode(), e.samples().get(i).specimenId());
      }
      for (int i = 0; i < e.steps().size(); i++) {
        update(c, "INSERT INTO workflow_step (workflow_id, step_index, operation, parameters, status) VALUES (?, ?, ?, ?, 'pending')",
            e.workflowId(), i, e.steps().get(i).operation(), JSON.writeValueAsString(e.steps().get(i).parameters()));
      }
    } else if (event instanceof Workflow.WorkflowQueued e) {
      update(c, "UPDATE workflow SET status = 'queued' WHERE id = ?", e.workflowId());
    } else if (event instanceof Workflow.WorkflowStarted e) {
      update(c, "UPDATE workflow SET status = 'running', booked_at = ? WHERE id = ?", ts(e.bookedAt()), e.workflowId());
    } else if (event instanceof Workflow.WorkflowCompleted e) {
      update(c, "UPDATE workflow SET status = 'completed', finished_at = ? WHERE id = ?", ts(e.custody().at()), e.workflowId());
    } else if (event instanceof Workflow.WorkflowCancelled e) {
      update(c, "UPDATE workflow SET status = 'cancelled', finished_at = ? WHERE id = ?", ts(e.custody().at()), e.workflowId());
    } else if (event instanceof Workflow.WorkflowFailed e) {
      update(c, "UPDATE workflow SET status = 'failed', finished_at = ? WHERE id = ?", ts(e.at()), e.workflowId());
      if (e.failedStep() != null) {
        update(c, "UPDATE workflow_step SET status = 'failed', finished_at = ? WHERE workflow_id = ? AND step_index = ?",
            ts(e.at()), e.workflowId(), e.failedStep());
      }
    } else if (event instanceof Workflow.StepStarted e) {
      update(c, "UPDATE workflow_step SET status = 'running', started_at = ? WHERE workflow_id = ? AND step_index = ?",
          ts(e.custody().at()), e.workflowId(), e.index());
    } else if (event instanceof Workflow.StepReleased e) {
      update(c, "UPDATE workflow_step SET status = 'pending', started_at = NULL WHERE workflow_id = ? AND step_index = ?", e.workflowId(), e.index());
    } else if (event instanceof Workflow.StepExecuting e) {
      update(c, "UPDATE workflow_step SET execution_id = ? WHERE workflow_id = ? AND step_index = ?", e.executionId(), e.workflowId(), e.index());
    } else if (event instanceof Workflow.StepEnded e) {
      update(c, "UPDATE workflow_step SET status = ?, finished_at = ? WHERE workflow_id = ? AND step_index = ?",
          e.status(), ts(e.at()), e.workflowId(), e.index());
    }
  }

}
