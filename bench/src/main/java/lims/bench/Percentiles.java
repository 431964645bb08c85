package lims.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds, reported in milliseconds. */
final class Percentiles {

  private long[] samples = new long[1024];
  private int size;

  synchronized void add(long nanos) {
    if (size == samples.length) samples = Arrays.copyOf(samples, size * 2);
    samples[size++] = nanos;
  }

  synchronized int count() {
    return size;
  }

  synchronized String summary() {
    long[] sorted = Arrays.copyOf(samples, size);
    Arrays.sort(sorted);
    return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms", ms(sorted, 0.50), ms(sorted, 0.99), sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
  }

  /** With the tail an interactive user meets: p50, p99, p99.9 and max. */
  synchronized String tail() {
    long[] sorted = Arrays.copyOf(samples, size);
    Arrays.sort(sorted);
    return String.format("p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms", ms(sorted, 0.50), ms(sorted, 0.99), ms(sorted, 0.999),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
  }

  synchronized double p(double q) {
    long[] sorted = Arrays.copyOf(samples, size);
    Arrays.sort(sorted);
    return ms(sorted, q);
  }

  private static double ms(long[] sorted, double q) {
    if (sorted.length == 0) return 0;
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
  }
}
