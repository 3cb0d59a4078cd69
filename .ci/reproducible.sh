#!/usr/bin/env bash
# Reproducible build: two clean builds of this checkout must write a byte-identical
# target/loraflow.jar (docs/release.md says how a user checks a release the same way).
# About a minute per build on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=$(mktemp -d)
trap 'rm -rf "$keep"' EXIT
for n in 1 2; do
  mvn -B -q -DskipTests clean package
  cp target/loraflow.jar "$keep/loraflow-$n.jar"
done
sums=$(cd "$keep" && sha256sum loraflow-1.jar loraflow-2.jar)
echo "$sums"
if ! cmp -s "$keep/loraflow-1.jar" "$keep/loraflow-2.jar"; then
  echo "reproducible build: FAILED, the two builds' jars differ" >&2
  # Which entries differ (name, size, CRC, time), to find the cause.
  if command -v unzip >/dev/null 2>&1; then
    diff <(unzip -v "$keep/loraflow-1.jar") <(unzip -v "$keep/loraflow-2.jar") | head -40 >&2 || true
  fi
  exit 1
fi
echo "reproducible build: the two jars are identical"
