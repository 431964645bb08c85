package lims.analysis;

import java.util.concurrent.CompletionStage;
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
}
