#!/usr/bin/env bash
# Attention fusion benchmark (issue 9, docs/benchmarks.md "Attention fusion"): exports each preset
# twice with random weights (tools/model/export.py --attention plain|contrib), times both with ORT
# Java 1.29 on the CPU (FusionBench.java: the service's session options, alternating rounds,
# median) and prints the optimized graphs' node-type counts.
#
#   bench/fusion/run.sh                              # vit_mnist and vit_b16 (~345 MB x 2, ~10 min export)
#   PRESETS=vit_mnist bench/fusion/run.sh --rounds 3 # FusionBench options pass through
#
# Env: PRESETS ("vit_mnist vit_b16"), FUSION_DIR (target/bench/fusion; existing exports there are
# reused: PRESET-plain/, PRESET-fused/), PY (/usr/bin/python3), ORT_JAR.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PY:-/usr/bin/python3}"
jar="${ORT_JAR:-$HOME/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.29.0/onnxruntime-1.29.0.jar}"
dir="${FUSION_DIR:-target/bench/fusion}"
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$dir"
triples=()
for p in ${PRESETS:-vit_mnist vit_b16}; do
  extra=()
  [[ $p == vit_b16 ]] && extra=(--num-classes 100 --lora-length 10)
  for a in plain contrib; do
    out="$dir/$p-$([[ $a == plain ]] && echo plain || echo fused)"
    if [[ ! -f $out/model.onnx ]]; then
      echo "fusion: exporting $p --attention $a -> $out" >&2
      "$PY" tools/model/export.py --preset "$p" --random-init "${extra[@]}" --parity 4 \
          --attention "$a" --out "$out" >&2
    fi
  done
  triples+=("$p" "$dir/$p-plain" "$dir/$p-fused")
done
java -cp "$jar" bench/fusion/FusionBench.java --dump "$dir/optimized" "$@" "${triples[@]}"
echo
echo "Optimized graphs (ALL_OPT, setOptimizedModelFilePath): node types"
"$PY" - "$dir/optimized" ${PRESETS:-vit_mnist vit_b16} <<'PYEOF'
import collections, os, sys
import onnx
d = sys.argv[1]
for p in sys.argv[2:]:
    c = {}
    for v in ("plain", "fused"):
        g = onnx.load(os.path.join(d, f"{p}-{v}.onnx"), load_external_data=False).graph
        c[v] = collections.Counter((n.domain + ":" if n.domain else "") + n.op_type for n in g.node)
    print(f"\n| {p} | plain | fused |\n|---|---:|---:|")
    print(f"| **nodes** | {sum(c['plain'].values())} | {sum(c['fused'].values())} |")
    for op in sorted(set(c["plain"]) | set(c["fused"]), key=lambda o: -(c["plain"][o] + c["fused"][o])):
        print(f"| {op} | {c['plain'][op]} | {c['fused'][op]} |")
PYEOF
