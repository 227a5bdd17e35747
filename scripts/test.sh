#!/usr/bin/env bash
# All tests, then the eval gate. Exits non-zero when a test fails or a metric regresses.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
.venv/bin/python -m pytest
rc=$?
if [[ $rc -ne 0 ]]; then exit $rc; fi
.venv/bin/rag eval --check
