#!/usr/bin/env bash
# Builds and runs the image-stage benchmarks, then compares CPU time per image with djpeg.
# Needs: Maven, Java 17, djpeg (Debian libjpeg-turbo-progs), libturbojpeg0, libspng0 and libwebp7
# for the native decoders. Usage: bench/decode/run.sh [extra JMH args]
set -euo pipefail
cd "$(dirname "$0")"
mvn -q -B package
JPEG=../../src/test/resources/images/flower_640x427.jpg
java -jar target/benchmarks.jar "$@"

# djpeg runs as a process: count its CPU time (user+sys), minus a start-up-only run.
cpu() { # command... -> CPU seconds for 100 runs
  local start end me=$BASHPID
  start=$(awk '{print $14+$15+$16+$17}' "/proc/$me/stat")
  for _ in $(seq 100); do "$@" >/dev/null 2>&1; done
  end=$(awk '{print $14+$15+$16+$17}' "/proc/$me/stat")
  echo "($end - $start) / $(getconf CLK_TCK)" | bc -l
}
best_ms() { # command... -> best of 5 rounds, ms per run
  local best=999999 t
  for _ in 1 2 3 4 5; do
    t=$(cpu "$@"); t=$(echo "$t * 10" | bc -l)
    best=$(echo "if ($t < $best) $t else $best" | bc -l)
  done
  echo "$best"
}
full=$(best_ms djpeg -outfile /dev/null "$JPEG")
startup=$(best_ms djpeg -version)
djpeg_ms=$(echo "$full - $startup" | bc -l)
java_out=$(java -cp target/benchmarks.jar io.loraflow.image.CpuTimeComparison "$JPEG")
echo "$java_out"
ours=$(echo "$java_out" | awk '/decode\+preprocess/ {print $3}')
printf 'djpeg %.3f ms cpu (%.3f with process start-up)\n' "$djpeg_ms" "$full"
printf 'ratio (java decode+preprocess / djpeg decode) %.2f\n' "$(echo "$ours / $djpeg_ms" | bc -l)"
