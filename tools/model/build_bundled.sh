#!/usr/bin/env bash
# Rebuilds everything under models/ from the offline data, on CPU (2 cores, idle: ~27 min).
#   bash tools/model/build_bundled.sh            # full rebuild
#   SKIP_FASHION_TRAIN=1 bash tools/model/build_bundled.sh   # reuse tools/model/build/fashion.pt
# Knobs: FASHION_EPOCHS (36), DIGITS_EPOCHS (30), DIGITS_LORA_LENGTH (8).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
B=tools/model/build
mkdir -p "$B"
export OMP_WAIT_POLICY=PASSIVE
FASHION_EPOCHS=${FASHION_EPOCHS:-36}
DIGITS_EPOCHS=${DIGITS_EPOCHS:-30}
L=${DIGITS_LORA_LENGTH:-8}
t0=$(date +%s)

bash tools/model/setup.sh

if [ -z "${SKIP_FASHION_TRAIN:-}" ] || [ ! -f "$B/fashion.pt" ]; then
  rm -f "$B/metrics.jsonl" "$B/history.jsonl"
  $PY tools/model/train.py --dataset fashion-mnist --mode full --preset vit_mnist \
      --max-epochs "$FASHION_EPOCHS" --batch-size 128 --lr 2e-3 --augment --crop-pad 1 \
      --label-smoothing 0.1 --eval-every 5 --out "$B/fashion.pt" --metrics "$B/metrics.jsonl" \
      --history "$B/history.jsonl" \
      2>&1 | grep --line-buffered -v -i warning | tee "$B/fashion-train.log"
fi
$PY tools/model/train.py --dataset fashion-mnist --init "$B/fashion.pt" --eval-only 2>&1 \
    | grep '^eval' | tee "$B/fashion-eval.log"

# transfer experiment: the Fashion-MNIST model as foundation, adapted to sklearn digits
for f in metrics history; do
  grep -v '"dataset": "digits"' "$B/$f.jsonl" > "$B/$f.tmp" 2>/dev/null || true
  mv "$B/$f.tmp" "$B/$f.jsonl"
done
common=(--dataset digits --max-epochs "$DIGITS_EPOCHS" --batch-size 64 --augment --no-flip
        --warmup-epochs 2 --eval-every 2 --metrics "$B/metrics.jsonl" --history "$B/history.jsonl")
$PY tools/model/train.py "${common[@]}" --mode linear --init "$B/fashion.pt" --lora-length 0 --lr 1e-2 \
    --out "$B/digits-linear.pt" 2>&1 | grep --line-buffered -v -i warning | tee "$B/digits-linear.log"
$PY tools/model/train.py "${common[@]}" --mode lora --init "$B/fashion.pt" --lora-length "$L" \
    --lr 1e-2 --out "$B/digits-lora.pt" 2>&1 | grep --line-buffered -v -i warning | tee "$B/digits-lora.log"
$PY tools/model/train.py "${common[@]}" --mode full --init "$B/fashion.pt" --lora-length 0 --lr 1e-3 \
    --out "$B/digits-full.pt" 2>&1 | grep --line-buffered -v -i warning | tee "$B/digits-full.log"
$PY tools/model/train.py "${common[@]}" --mode full --preset vit_mnist --lora-length 0 --lr 2e-3 \
    --out "$B/digits-scratch.pt" 2>&1 | grep --line-buffered -v -i warning | tee "$B/digits-scratch.log"

$PY tools/model/package_bundled.py --fashion "$B/fashion.pt" --digits-lora "$B/digits-lora.pt" \
    --out models 2>&1 | grep -v -i warning
$PY tools/model/results_table.py "$B/metrics.jsonl" | tee "$B/results.md"
# Training curves (docs/model-toolchain.md): copy $B/plots/*.svg and history.jsonl to docs/plots/.
$PY tools/plots/plots.py training "$B/history.jsonl" "$B/plots"

if command -v java >/dev/null && [ -f "$HOME/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.29.0/onnxruntime-1.29.0.jar" ]; then
  for p in models/fashion-mnist models/digits; do
    bash tools/model/ortcheck.sh "$p" 2>&1 | grep -v 'W:onnxruntime'
  done
fi
echo "build_bundled: done in $(( $(date +%s) - t0 )) s"
