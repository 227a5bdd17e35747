#!/usr/bin/env bash
# Lint, format check, type check, all tests, then the eval gate; stops at the first that fails and exits
# non-zero. Finally checks that the run left the git checkout as it found it (reports go to results/).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

step() {
    echo "== $*"
    "$@"
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "FAILED (exit $rc): $*" >&2
        exit $rc
    fi
}

before=$(git status --porcelain 2>/dev/null)
step .venv/bin/ruff check .
step .venv/bin/ruff format --check .
step .venv/bin/mypy
step .venv/bin/python -m pytest
step .venv/bin/rag eval --check
after=$(git status --porcelain 2>/dev/null)
if [[ "$before" != "$after" ]]; then
    echo "FAILED: the run changed the checkout (git status before vs after):" >&2
    diff <(echo "$before") <(echo "$after") >&2
    exit 1
fi
