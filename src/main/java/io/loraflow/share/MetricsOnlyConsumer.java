package io.loraflow.share;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * A {@link Consumer} that answers {@link Consumer#metrics()} from a share consumer and refuses the
 * rest: Micrometer's {@code KafkaClientMetrics} binds a consumer's metrics (it reads nothing but
 * {@code metrics()}) and has no constructor for a {@code KafkaShareConsumer}.
 */
final class MetricsOnlyConsumer {
  private MetricsOnlyConsumer() {
  }

  static Consumer<?, ?> of(Supplier<Map<MetricName, ? extends Metric>> metrics) {
    return (Consumer<?, ?>) Proxy.newProxyInstance(Consumer.class.getClassLoader(), new Class<?>[] {Consumer.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "metrics" -> metrics.get();
          case "toString" -> "the metrics of a share consumer";
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> throw new UnsupportedOperationException(method.getName() + ": only metrics() is here");
        });
  }
}
