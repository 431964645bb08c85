package lims.reporting.delivery;

import java.util.Locale;

/** Where a delivery is: waiting for its next try, accepted by the recipient's server, or a dead letter. Lower case on the wire and in the table. */
public enum DeliveryStatus {
  QUEUED,
  ACCEPTED,
  FAILED;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static DeliveryStatus ofWire(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }
}
