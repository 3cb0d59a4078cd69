#!/usr/bin/env bash
# GPU check: builds loraflow with ONNX Runtime's GPU build (mvn -Pcuda), prints the device the
# session picks for the bundled model and for a ViT-B/16 export if given, with bare ORT images/s,
# then runs the service benchmark's model-bound cases.
#   deploy/gpu-check.sh [VIT_B16_PACKAGE_DIR]
# Needs an NVIDIA GPU with CUDA 12.x and cuDNN 9 libraries on the library path (ONNX Runtime
# 1.29's GPU build does not work with CUDA 13 alone). Without them the session falls back to CPU
# and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "nvidia-smi: not available"
ls /usr/local/cuda*/lib64/libcudart.so.12* 2>/dev/null | head -1 || echo "no CUDA 12 runtime found under /usr/local/cuda*"
mvn -B -q -Pcuda -DskipTests package
java -jar target/loraflow.jar device --model models/fashion-mnist --inference-device auto
if [ -n "${1:-}" ]; then
  java -jar target/loraflow.jar device --model "$1" --inference-device auto --seconds 20
fi
