#!/usr/bin/env bash
# `make setup`: the system packages that are missing (Debian), then .venv with the
# pinned tools of requirements-dev.txt. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${PYTHON:-python3}"
missing=()

command -v "$PYTHON" >/dev/null || missing+=(python3 python3-venv)
command -v "$PYTHON" >/dev/null && ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null && missing+=(python3-venv)
command -v cc >/dev/null || missing+=(gcc libc6-dev)
command -v setsid >/dev/null || missing+=(util-linux)

if ((${#missing[@]})); then
  echo "==> installing ${missing[*]}" >&2
  sudo=""
  ((EUID == 0)) || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "error: cargo not found: install the Rust toolchain (rustup)" >&2; exit 1; }
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  { echo "error: $PYTHON is older than 3.11 (schemathesis needs 3.11)" >&2; exit 1; }

if [[ ! -x .venv/bin/python3 ]]; then
  echo "==> creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
echo "==> installing requirements-dev.txt into .venv" >&2
.venv/bin/python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
