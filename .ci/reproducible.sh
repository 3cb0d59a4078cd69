#!/usr/bin/env bash
# Reproducible build: two clean builds of this checkout must write a byte-identical
# target/loraflow.jar (docs/release.md: how a user checks a release the same way), each with its
# SBOM and licence report. Online: cyclonedx-maven-plugin skips in offline mode (-o).
# About a minute or two per build on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=$(mktemp -d)
trap 'rm -rf "$keep"' EXIT
for n in 1 2; do
  mvn -B -q -DskipTests clean package
  for f in loraflow.jar loraflow.cdx.json loraflow-third-party-licenses.md loraflow-third-party-notices.txt; do
    [ -s "target/$f" ] || { echo "reproducible build: build $n wrote no target/$f" >&2; exit 1; }
  done
  cp target/loraflow.jar "$keep/loraflow-$n.jar"
  cp target/loraflow.cdx.json "$keep/loraflow-$n.cdx.json"
done
(cd "$keep" && sha256sum loraflow-1.jar loraflow-2.jar loraflow-1.cdx.json loraflow-2.cdx.json)
# The SBOM may legitimately differ one day (a plugin adding a time); the jar may not.
cmp -s "$keep/loraflow-1.cdx.json" "$keep/loraflow-2.cdx.json" || echo "reproducible build: note: the SBOMs differ"
if ! cmp -s "$keep/loraflow-1.jar" "$keep/loraflow-2.jar"; then
  echo "reproducible build: FAILED, the two builds' jars differ" >&2
  # Which entries differ (name, size, CRC, time), to find the cause.
  if command -v unzip >/dev/null 2>&1; then
    diff <(unzip -v "$keep/loraflow-1.jar") <(unzip -v "$keep/loraflow-2.jar") | head -40 >&2 || true
  fi
  exit 1
fi
echo "reproducible build: the two jars are identical"
