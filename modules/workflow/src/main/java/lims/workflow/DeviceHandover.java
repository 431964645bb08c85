package lims.workflow;

/** What a workflow that stops needs of its device: the one rule for completing, cancelling and failing. */
public enum DeviceHandover {
  /** It holds the booking: release it (the next in the device's queue is granted in the same write). */
  RELEASE,
  /** It may wait in the device's queue: leave it (nothing, if it never joined). */
  LEAVE_QUEUE;

  /**
   * A cancelled workflow that ran releases its device. One that had not started leaves the
   * queue, also from {@code created}: its queued start may have reached the device before the
   * workflow heard of it (decision 0044). A grant that reaches it afterwards is released by the
   * device-event reaction.
   */
  public static DeviceHandover afterCancel(boolean wasRunning) {
    return wasRunning ? RELEASE : LEAVE_QUEUE;
  }
}
