#!/usr/bin/env bash
# Measures the exactly-once cost, scale-out and multi-task costs side by side (see docs/costs.md).
# Usage: bench/costs.sh [--cases 1,2,3] [--events 5000] [--scale-events 20000] [--task-events 5000] [--out docs/costs.md]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -o test-compile
mvn -q -B -o dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
# ONNX Runtime 1.29's native library crashes the JVM (SIGSEGV) while initialising when
# java.class.path is longer than about 4 KB (see testkit/ServiceProcess#pathingJar), so the class
# path target/test-classes:target/classes:$(cat target/classpath.txt) goes through a manifest-only jar.
cp_uris=""
for e in target/test-classes/ target/classes/ $(tr ':' ' ' < target/classpath.txt); do
  p="$(realpath "$e")"; [ -d "$p" ] && p="$p/"
  cp_uris="$cp_uris file://$p"
done
mkdir -p target/costs
{ echo "Manifest-Version: 1.0"; echo "Class-Path:$cp_uris" | fold -w 70 | sed '2,$s/^/ /'; } > target/costs/MANIFEST.MF
rm -f target/costs/classpath.jar
jar --create --file target/costs/classpath.jar --manifest target/costs/MANIFEST.MF
exec java -cp target/costs/classpath.jar io.loraflow.costs.ServiceCosts "$@"
