#!/usr/bin/env bash
# Checks a package with ONNX Runtime Java 1.29 (from the local Maven repository) against its
# parity/ files, and every task adapter in manifest.json. Usage: ortcheck.sh PACKAGE_DIR [TOL]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="${ORT_JAR:-$HOME/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.29.0/onnxruntime-1.29.0.jar}"
if [ ! -f "$jar" ]; then
  (cd "$here/../.." && mvn -q dependency:get -Dartifact=com.microsoft.onnxruntime:onnxruntime:1.29.0) >&2
fi
exec java -cp "$jar" "$here/OrtCheck.java" "$@"
