#!/usr/bin/env bash
# The benchmark of issue 9 in one command: compiles the project and its tests (offline when the
# local Maven repository is warm), runs the image-stage JMH benchmark (bench/decode/run.sh, when present,
# full mode only) and then io.loraflow.bench.Harness, which writes bench/results/report.json and
# bench/results/report.md (JFR recordings under bench/results/jfr/), then draws the report's charts
# into bench/results/plots/ (tools/plots/plots.py; docs/benchmarks.md says how they reach docs/plots).
#
#   bench/run.sh                      # full run (~30 min on 2 cores: 10-minute memory run included)
#   bench/run.sh --smoke              # every case in seconds (HarnessSmokeTest runs this in mvn test)
#   bench/run.sh --vit-b16 DIR        # use this ViT-B/16 package for the model-bound case
#   bench/run.sh --minutes 2          # shorter memory run; --repeat K rounds of the ratio cases
#   bench/run.sh --cases small,pipe   # a subset: small,photos,model,pipe,batching,latency,memory,fusion,cache
#   bench/run.sh --no-decode          # skip the JMH decode benchmark (DECODE_ARGS: its JMH options)
#   bench/run.sh --cases latency --max-rate 2600   # pace at 50 % of a given max instead of measuring it
#
# Without --vit-b16 a full run exports one (random weights, ~345 MB, ~5 min) to target/bench/vit-b16
# with tools/model/export.py when Debian's python3-torch is there; otherwise the case is skipped
# with a note. Nothing is written under models/.
set -euo pipefail
cd "$(dirname "$0")/.."

args=("$@")
smoke=0; vit=""; decode=1; cases=0; out=bench/results
rest=()
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --smoke) smoke=1 ;;
    --vit-b16) vit="${args[$((i + 1))]:-}" ;;
    --cases) cases=1 ;;
    --out) out="${args[$((i + 1))]:-}" ;;
  esac
  if [[ "${args[$i]}" == --no-decode ]]; then decode=0; else rest+=("${args[$i]}"); fi
done
args=("${rest[@]}")

MVN=(mvn -B -q)
if [[ -d "${HOME}/.m2/repository/io/vertx" ]]; then MVN+=(-o); fi
mkdir -p target/bench
"${MVN[@]}" test-compile
"${MVN[@]}" dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench/classpath.txt >/dev/null

# JMH options for the decode benchmark; -Dimages because its default (../src/...) predates its move
# into bench/decode/.
: "${DECODE_ARGS:=-f 1 -wi 1 -i 2 -w 2s -r 3s -jvmArgsAppend -Dimages=$(pwd)/src/test/resources/images}"
if [[ $smoke == 0 && $decode == 1 && $cases == 0 && -x bench/decode/run.sh ]]; then
  # The image-stage JMH decode benchmark (a separate Maven project in bench/decode/).
  mkdir -p bench/results
  echo "bench: image decode JMH (bench/decode/run.sh ${DECODE_ARGS}) ..." >&2
  # shellcheck disable=SC2086
  if bench/decode/run.sh ${DECODE_ARGS} > bench/results/decode.txt 2>&1; then
    args+=(--decode bench/results/decode.txt)
  else
    args+=(--decode bench/results/decode.txt --decode-failed)
  fi
fi

if [[ $smoke == 0 && -z "$vit" && $cases == 0 ]]; then
  vit=target/bench/vit-b16
  if [[ ! -f $vit/model.onnx ]] && /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
    echo "bench: exporting ViT-B/16 with LoRA (random weights) to $vit ..." >&2
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/model/export.py --preset vit_b16 --random-init \
      --num-classes 100 --lora-length 10 --dataset none --parity 4 --out "$vit" >&2 || true
  fi
  if [[ -f $vit/model.onnx ]]; then args+=(--vit-b16 "$vit"); fi
fi

# A pathing jar (as surefire does) instead of a ~100-entry -cp: with the long command line, ONNX
# Runtime 1.29's native initialisation segfaults on the main thread here (no hs_err; -Xss8m also
# avoids it). The shaded service jar is not affected.
root=$(pwd)
{
  echo "Manifest-Version: 1.0"
  { printf 'Class-Path: file:%s/target/test-classes/ file:%s/target/classes/' "$root" "$root"
    tr ':' '\n' < target/bench/classpath.txt | sed 's|^| file:|' | tr -d '\n'; echo; } |
    fold -b -w 71 | sed '2,$s/^/ /'
} > target/bench/MANIFEST.MF
rm -f target/bench/classpath.jar
jar cfm target/bench/classpath.jar target/bench/MANIFEST.MF

commit=${BENCH_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [[ -z ${BENCH_COMMIT:-} ]] && ! git diff --quiet HEAD 2>/dev/null; then commit+="+uncommitted"; fi
java -Xmx2g -Dbench.commit="$commit" -ea -cp target/bench/classpath.jar io.loraflow.bench.Harness "${args[@]}"
# Charts beside the report; a report without a charted case (--cases small) has none.
if command -v python3 >/dev/null && [[ -f $out/report.json ]]; then
  python3 tools/plots/plots.py bench "$out/report.json" "$out/plots" >&2 || echo "bench: no charts drawn" >&2
fi
