package lims.device;

import java.time.Instant;
import java.util.List;
import lims.kernel.CborSerializable;

/** The one active hold of a device by a workflow; {@code operations} it plans to run, for wait estimates. */
public record Booking(String workflowId, Instant bookedAt, List<String> operations) implements CborSerializable {}
