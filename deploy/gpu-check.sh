#!/usr/bin/env bash
# GPU check: builds loraflow with ONNX Runtime's GPU build (mvn -Pcuda), prints the device the
# session picks for the bundled model and for a ViT-B/16 export if given, with bare ORT images/s,
# then runs the service benchmark's model-bound cases.
#   deploy/gpu-check.sh [VIT_B16_PACKAGE_DIR]
# Needs an NVIDIA GPU and its driver (525.60.13 or later; CUDA 13 drivers too): mvn -Pcuda puts
# the CUDA 12 runtime, cuBLAS and cuDNN 9 in target/lib/cuda beside the jar, and the service
# loads them from there. Without a usable GPU the session falls back to CPU and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "nvidia-smi: not available"
mvn -B -q -Pcuda -DskipTests package
java -jar target/loraflow.jar device --model models/fashion-mnist --inference-device auto
if [ -n "${1:-}" ]; then
  java -jar target/loraflow.jar device --model "$1" --inference-device auto --seconds 20
fi
