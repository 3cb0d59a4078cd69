#!/usr/bin/env bash
# Installs the Python model toolchain from Debian packages (no pip). Idempotent.
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
PKGS="python3-torch python3-numpy python3-pil libopenblas0-pthread dataset-fashion-mnist python3-sklearn"
apt_retry() {
  for i in $(seq 1 60); do
    if $SUDO env DEBIAN_FRONTEND=noninteractive "$@"; then return 0; fi
    echo "apt busy or failed (try $i), retrying in 10 s" >&2; sleep 10
  done
  return 1
}
missing=""
for p in $PKGS python3-flatbuffers; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  apt_retry apt-get update -q
  apt_retry apt-get install -y -q --no-install-recommends $PKGS
  # optional: the exporter writes the adapter FlatBuffer by hand when this is absent
  if apt-cache show python3-flatbuffers >/dev/null 2>&1; then
    apt_retry apt-get install -y -q --no-install-recommends python3-flatbuffers || true
  fi
fi
/usr/bin/python3 -c "import torch, numpy, PIL; print('torch', torch.__version__, 'numpy', numpy.__version__)"
ls /usr/share/datasets/fashion-mnist >/dev/null
