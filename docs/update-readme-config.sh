#!/usr/bin/env bash
# Regenerates the README's settings table from the config definitions (ReadmeTest checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -o compile 2>/dev/null || mvn -q -B compile
mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null
cp="target/classes:$(cat target/classpath.txt)"
java -cp "$cp" io.loraflow.Main config --markdown > target/config-table.md
python3 - <<'PY'
s = open("README.md").read()
t = open("target/config-table.md").read()
a = s.index("<!-- config-table:start"); a = s.index("\n", a) + 1
b = s.index("<!-- config-table:end -->")
open("README.md", "w").write(s[:a] + t + s[b:])
PY
echo "README.md settings table updated"
