#!/usr/bin/env bash
# Checks the self-contained CUDA build without a GPU: `mvn -Pcuda` fetches the CUDA 12 libraries
# into target/lib/cuda, every one of them loads, ONNX Runtime's CUDA provider resolves all its
# libraries and (LD_BIND_NOW=1) every symbol from them, and creating a CUDA session then fails
# with CUDA's own error. On a GPU machine the same test creates and warms up the CUDA session.
#   deploy/cuda-check.sh
# Without an NVIDIA driver on the machine, libcuda.so.1 is taken from Debian's libcuda1 package
# (non-free; the file is unpacked under target/, nothing is installed), so that CUDA itself
# answers ("no CUDA-capable device is detected") instead of the loader ("libcuda.so.1: cannot
# open shared object file"). Elsewhere the test still shows that only the driver is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ldconfig -p | grep -q 'libcuda\.so\.1 ' && command -v apt-get >/dev/null && [ -d /etc/apt/sources.list.d ]; then
  apt=target/cuda-driver/apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
  # The machine's own Debian sources, with the non-free component added.
  for f in /etc/apt/sources.list.d/*.sources; do
    sed 's/^Components: main$/Components: main non-free/' "$f" > "$apt/sources.list.d/$(basename "$f")"
  done
  opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$PWD/$apt/sources.list.d"
        -o "Dir::State::Lists=$PWD/$apt/lists" -o "Dir::Cache=$PWD/$apt/cache")
  apt-get "${opts[@]}" -qq update
  (cd target/cuda-driver && apt-get "${opts[@]}" -qq download libcuda1)
  dpkg-deb -x target/cuda-driver/libcuda1_*.deb target/cuda-driver/root
  export LD_LIBRARY_PATH="$PWD/target/cuda-driver/root/usr/lib/x86_64-linux-gnu/nvidia/current${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
LD_BIND_NOW=1 mvn -B -q -Pcuda test -Dtest=CudaSessionTest -Dsurefire.failIfNoSpecifiedTests=false
du -sh target/lib/cuda
grep -E '^(driver|ORT CUDA provider|inference.device)' \
  target/surefire-reports/io.loraflow.inference.CudaSessionTest-output.txt
