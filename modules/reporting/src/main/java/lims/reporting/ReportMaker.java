package lims.reporting;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import lims.reporting.ReportJobs.Job;

/**
 * Makes a job's report in two parts: {@link #prepare} gathers what it shows (entity asks and
 * reads, quick, off the render slot) and answers the render itself, which the worker runs in
 * a render slot under the time limit.
 */
public interface ReportMaker {

  /** Fails with {@link RenderWorker.Unreportable} when the job can never be rendered. */
  CompletionStage<Callable<StoredReport.Draft>> prepare(Job job, int version);
}
