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
# The same weights with uint8 input (normalised in the graph) and in fp16: bare images/s of each.
for variant in uint8-fp32 float32-fp16 uint8-fp16; do
  java -jar target/loraflow.jar device --model "src/test/resources/models/fashion-mnist-$variant" --inference-device auto
done
# Their agreement with fp32 on this device (top-1, max |Δlogit|; docs/model-toolchain.md has the CPU numbers).
mvn -B -q -Pcuda test -Dtest=ExportVariantsTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dloraflow.variants.device=auto || true
grep 'vs float32' target/surefire-reports/io.loraflow.inference.ExportVariantsTest-output.txt || true
if [ -n "${1:-}" ]; then
  java -jar target/loraflow.jar device --model "$1" --inference-device auto --seconds 20
fi
