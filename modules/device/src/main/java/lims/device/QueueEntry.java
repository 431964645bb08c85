package lims.device;

import java.time.Instant;
import java.util.List;
import lims.kernel.CborSerializable;

/** A workflow waiting for a device; {@code sequence} breaks ties first-in-first-out within a priority. */
public record QueueEntry(String workflowId, Priority priority, Instant enqueuedAt, long sequence, List<String> operations)
    implements CborSerializable {}
