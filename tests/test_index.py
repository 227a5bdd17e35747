import os

import pytest

from rag.core.errors import IndexCorrupt
from rag.ingest.documents import load_corpus
from rag.ingest.embedders import get_embedder, torch_build
from rag.ingest.index import build_index, ensure_index, index_key, load_index


def test_second_ensure_is_a_no_op(fake_settings):
    _, first, built = ensure_index(fake_settings)
    assert built
    _, second, built_again = ensure_index(fake_settings)
    assert not built_again and second.path == first.path


def test_a_changed_corpus_builds_a_new_index(fake_settings):
    _, before, _ = ensure_index(fake_settings)
    registry = fake_settings.corpus_dir / "registry.json"
    registry.write_text(registry.read_text().replace("English summary", "English summary page"))
    _, after, built = ensure_index(fake_settings)
    assert built and after.path != before.path


def test_a_changed_setting_builds_a_new_index(fake_settings):
    _, before, _ = ensure_index(fake_settings)
    fake_settings.chunk_max_tokens = 100
    _, after, built = ensure_index(fake_settings)
    assert built and after.path != before.path


def test_vectors_embedded_in_another_number_format_are_not_reused(fake_settings):
    fake_settings.build_precision = "float32"
    _, before, _ = ensure_index(fake_settings)
    fake_settings.build_precision = "bfloat16"
    _, after, built = ensure_index(fake_settings)
    assert built and after.path != before.path


def test_a_bfloat16_build_gives_the_float32_vectors_to_a_rounding(corpus):
    texts = [p.text for doc in corpus.documents.values() for p in doc.paragraphs][:64]
    embed = get_embedder("minilm")
    vectors = {}
    for bfloat16 in (False, True):
        with torch_build(0, bfloat16):
            vectors[bfloat16] = embed(texts)
    cosines = (vectors[False] * vectors[True]).sum(axis=1)
    assert cosines.min() > 0.9995 and not (vectors[False] == vectors[True]).all()


def test_a_corrupt_index_is_detected_and_rebuilt_with_a_message(fake_settings):
    _, data, _ = ensure_index(fake_settings)
    (data.path / "chunks.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexCorrupt, match="rag index --force"):
        load_index(data.path)
    messages = []
    _, rebuilt, built = ensure_index(fake_settings, log=messages.append)
    assert built and "unreadable" in messages[0]
    assert load_index(rebuilt.path).chunks == data.chunks


def test_an_interrupted_build_leaves_no_index_behind(fake_settings, monkeypatch):
    corpus = load_corpus(fake_settings)
    target = fake_settings.index_root / index_key(corpus, fake_settings)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("rag.ingest.index.np.save", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, fake_settings, target)
    assert not target.exists()
    assert not [p for p in fake_settings.index_root.iterdir() if p.name.startswith(".")]


def test_index_is_faiss_and_bm25_on_disk(fake_settings):
    _, data, _ = ensure_index(fake_settings)
    names = set(os.listdir(data.path))
    assert {"chunks.faiss", "paragraphs.faiss", "bm25", "manifest.json", "chunks.json"} <= names
    assert data.chunk_index.ntotal == len(data.chunks)
