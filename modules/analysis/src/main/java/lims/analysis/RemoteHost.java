package lims.analysis;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import lims.kernel.PauseFence;
import org.apache.pekko.Done;

/** Where pipelines run: starts and ends named detached sessions. The SSH + tmux one is {@link SshRemoteHost}. */
public interface RemoteHost {

  /**
   * Starts {@code command} in a detached session named {@code session} and completes once the
   * host reports the session started. A session of that name already running counts as
   * started (an earlier attempt got through), so a repeated start never runs the pipeline twice.
   */
  CompletionStage<Done> start(Pipeline pipeline, String session, String command);

  /** Ends the session; one that is already gone counts as ended. */
  CompletionStage<Done> kill(Pipeline pipeline, String session);

  /**
   * {@code host}, its starts and kills held until {@code clear} completes (lims.kernel.PauseFence,
   * decision 0043), at most {@code wait}: a node frozen past its removal never dispatches a run
   * its entity's new home dispatches too.
   */
  static RemoteHost fenced(RemoteHost host, Supplier<CompletionStage<Void>> clear, Duration wait) {
    return new RemoteHost() {
      @Override
      public CompletionStage<Done> start(Pipeline pipeline, String session, String command) {
        return PauseFence.afterClear(clear.get(), () -> host.start(pipeline, session, command), wait);
      }

      @Override
      public CompletionStage<Done> kill(Pipeline pipeline, String session) {
        return PauseFence.afterClear(clear.get(), () -> host.kill(pipeline, session), wait);
      }
    };
  }
}
