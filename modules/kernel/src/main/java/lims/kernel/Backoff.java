package lims.kernel;

import java.time.Duration;

/** Exponential back-off: {@code min} after the first failure, doubling per failure, never above {@code max}. */
public record Backoff(Duration min, Duration max) implements CborSerializable {

  public Duration after(int failures) {
    long millis = min.toMillis() << Math.min(Math.max(failures - 1, 0), 20);
    return Duration.ofMillis(Math.min(millis, max.toMillis()));
  }
}
