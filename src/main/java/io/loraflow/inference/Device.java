package io.loraflow.inference;

/** Where inference runs. */
public enum Device {
  CPU, CUDA
}
