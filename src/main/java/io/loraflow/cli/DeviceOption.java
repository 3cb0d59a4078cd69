package io.loraflow.cli;

import io.loraflow.config.LoraflowConfig;
import picocli.CommandLine.Option;

/** {@code --inference-device} of the commands that open an inference session themselves (device, evaluate). */
final class DeviceOption {
  @Option(names = "--inference-device", paramLabel = "DEVICE",
      description = "auto, cpu or cuda, as the inference.device setting. Default: ${DEFAULT-VALUE}.")
  String device = "auto";

  /** The device, checked as the setting is. */
  String checked() {
    LoraflowConfig.keys().get(LoraflowConfig.INFERENCE_DEVICE).validator()
        .ensureValid(LoraflowConfig.INFERENCE_DEVICE, device);
    return device;
  }
}
