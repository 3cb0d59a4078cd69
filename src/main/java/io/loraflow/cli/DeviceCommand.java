package io.loraflow.cli;

import io.loraflow.inference.DeviceCheck;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code loraflow device}: which device a model package runs on here, and how fast. */
@Command(name = "device", mixinStandardHelpOptions = true, versionProvider = LoraflowCommand.Version.class,
    description = {"Loads a model package as the service would, prints the device chosen (auto: CUDA "
        + "if it works) and bare ONNX Runtime images/s at batch 1, 8 and 32."})
final class DeviceCommand implements Callable<Integer> {
  @Mixin
  ModelOption model;

  @Mixin
  DeviceOption device;

  @Option(names = "--seconds", paramLabel = "N",
      description = "Seconds of measurement in all. Default: ${DEFAULT-VALUE}.")
  int seconds = 6;

  @Override
  public Integer call() throws Exception {
    return DeviceCheck.run(model.dir, device.checked(), seconds);
  }
}
