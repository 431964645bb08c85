package lims.http;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/**
 * The node's Prometheus registry: request count and latency histogram by route template
 * and status (templates, not raw paths, so ids cannot explode the label set), plus JVM
 * memory, GC, threads and CPU. One registry per node, so nodes sharing a JVM in tests
 * do not mix their numbers.
 */
public final class HttpMetrics implements AutoCloseable {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();

  public HttpMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
  }

  void record(String method, String route, int status, Duration latency) {
    Timer.builder("http.server.requests")
        .description("HTTP requests by route template and status")
        .tags("method", method, "route", route, "status", Integer.toString(status))
        .publishPercentileHistogram()
        .register(registry)
        .record(latency);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
