package io.loraflow.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loraflow.config.LoraflowConfig;
import io.loraflow.testkit.OnnxModels;
import io.loraflow.testkit.TestBroker;
import io.loraflow.testkit.TestSettings;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up fails with a message saying what to fix, instead of a service that stalls. */
class StartupChecksTest {
  @TempDir
  Path tmp;

  @Test
  void missingOutputTopicStopsStartUpAndNamesIt() throws Exception {
    Path model = OnnxModels.writePackage(tmp.resolve("m"), "m", 8, 0);
    String in = TestBroker.createTopic(TestBroker.uniqueName("in"), 1);
    String dlq = TestBroker.createTopic(TestBroker.uniqueName("dlq"), 1);
    Vertx vertx = Vertx.vertx();
    try {
      Throwable failure = vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(TestSettings.of(in,
          "no-such-topic", dlq, TestBroker.uniqueName("g"), model, tmp)))).toCompletionStage()
          .toCompletableFuture().handle((id, e) -> e).get();
      assertTrue(failure != null && failure.getMessage().contains("[no-such-topic] do not exist"),
          String.valueOf(failure));
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void missingModelPackageStopsStartUpAndSaysWhere() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Throwable failure = vertx.deployVerticle(new ClassifierService(LoraflowConfig.of(TestSettings.of("a", "b",
          "c", "g", tmp.resolve("nowhere"), tmp)))).toCompletionStage().toCompletableFuture()
          .handle((id, e) -> e).get();
      assertTrue(failure != null && failure.getMessage().contains("manifest.json not found"), String.valueOf(failure));
    } finally {
      vertx.close().await();
    }
  }
}
