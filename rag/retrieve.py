"""Hybrid retrieval: dense chunks + dense best paragraph + BM25, fused by weighted reciprocal rank.

Translations of the same task and parts of one task fold into a single hit
(the official translation represents it), so they never crowd out other tasks.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np

from rag.core.errors import BadQuestion
from rag.core.glossary import expand
from rag.core.language import DEFAULT, detect
from rag.core.questions import validate_question
from rag.core.settings import Settings, get_settings
from rag.core.types import Chunk, Hit
from rag.ingest.documents import Corpus
from rag.ingest.embedders import english_words, get_embedder
from rag.ingest.index import IndexData, ensure_index, tokenize_for_bm25

MODES = ("dense", "bm25", "hybrid")
_REMEMBERED = 20_000  # texts whose vectors `embed` keeps (384 floats each: about 30 MB)


_WORD_RE = re.compile(r"[A-Za-z]+")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _one_edit(word: str) -> set[str]:
    """Every string one edit from `word`: a letter dropped, two neighbours swapped, a letter changed or added."""
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in cuts if b}
        | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
        | {a + c + b[1:] for a, b in cuts if b for c in _LETTERS}
        | {a + c + b for a, b in cuts for c in _LETTERS}
    )


# British spellings of the corpus's American ones: "centre", "licence", "organisations", "labour", "programme".
_BRITISH = tuple(
    (re.compile(pattern), american)
    for pattern, american in (
        (r"tre(s?)$", r"ter\1"),
        (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"),
        (r"yse(s|d)?$", r"yze\1"),
        (r"ence(s?)$", r"ense\1"),
        (r"(?<=[a-z]{2})our", "or"),
        (r"mme(s?)$", r"m\1"),
    )
)


def spell(
    text: str, counts: dict[str, int], min_letters: int, stems: Collection[str] = (), english: Collection[str] = ()
) -> str:
    """`text` with each word of at least `min_letters` letters that `counts` (the corpus's words) lacks replaced by
    its most frequent corpus word one edit away; a word with none stays as typed, and so does another form of a
    corpus word (its stem in `stems`: "raising" where the corpus says "raise" is no typo for "rising") and a real
    word of `english` (the corpus lacks "parent", "retail", "billion"; they are no typos for "patent", "retain",
    "million"), which is only spelled the American way where the corpus writes it so ("centre" -> "center")."""
    stem = _stemmer().stemWord if stems else None

    def fix(m: re.Match[str]) -> str:
        word = m.group()
        low = word.lower()
        if len(low) < min_letters or low in counts or (stem and stem(low) in stems):
            return word
        if low in english:
            american = _american(low)
            return american if american in counts else word
        found = sorted((w for w in _one_edit(low) if w in counts), key=lambda w: (-counts[w], w))
        return found[0] if found else word

    return _WORD_RE.sub(fix, text) if min_letters else text


def _american(word: str) -> str:
    """`word` spelled the American way (`_BRITISH`)."""
    for british, american in _BRITISH:
        word = british.sub(american, word)
    return word


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")  # BM25's own (rag.ingest.index.tokenize_for_bm25)


def _ordered(rows, scores) -> list[tuple[int, float]]:
    """(row, score) best first, equal scores (to 5 decimals) by row: FAISS and pgvector, which order ties their
    own way and may differ in the last bits of a float, give the same ranking."""
    found = [(int(i), round(float(s), 5)) for i, s in zip(rows, scores) if i >= 0]
    return sorted(found, key=lambda rs: (-rs[1], rs[0]))


@dataclass
class Retriever:
    settings: Settings
    corpus: Corpus
    data: IndexData

    @classmethod
    def load(cls, settings: Settings | None = None, *, log: Callable[[str], None] = lambda _: None) -> Retriever:
        settings = settings or get_settings()
        if settings.database_url:  # the corpus and vectors published in PostgreSQL (rag.store)
            from rag.store.corpus import open_published

            return cls(settings, *open_published(settings, log))
        corpus, data, _ = ensure_index(settings, log=log)
        return cls(settings, corpus, data)

    def __post_init__(self) -> None:
        self.chunks = self.data.chunks
        self._chunk_by_id = {c.id: c for c in self.chunks}
        self._row_of_paragraph = {pid: i for i, pid in enumerate(self.data.paragraph_ids)}
        self._chunk_of_paragraph = {pid: c for c in self.chunks for pid in c.paragraph_ids}
        self._embed = get_embedder(self.settings.embedder, self.settings.embed_threads)
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        texts = (p.text for d in self.corpus.documents.values() for p in d.paragraphs)
        self._words = Counter(w.lower() for t in texts for w in _WORD_RE.findall(t))  # what `spell` corrects to
        self._stems = set(_stemmer().stemWords(list(self._words)))
        self._vectors: dict[str, np.ndarray] = {}  # embed's memory, oldest first
        self._vectors_lock = threading.Lock()

    def chunk(self, chunk_id: str) -> Chunk:
        return self._chunk_by_id[chunk_id]

    def chunk_of(self, paragraph_id: str) -> Chunk | None:
        return self._chunk_of_paragraph.get(paragraph_id)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts`. Each text is embedded on its own and remembered (the corpus's sentences recur
        from question to question: `rag governs` and an answer's governance compare dozens of them). One at a time
        is faster than a padded batch of sentences of mixed length, and a text gets the same vector whatever was
        asked before."""
        if not texts:
            return self._embed(texts)
        with self._vectors_lock:
            for text in dict.fromkeys(t for t in texts if t not in self._vectors):
                if len(self._vectors) >= _REMEMBERED:
                    self._vectors.pop(next(iter(self._vectors)))  # the oldest
                self._vectors[text] = self._embed([text])[0]
            return np.stack([self._vectors[t] for t in texts])

    def multilingual(self, question: str) -> bool:
        """Whether `question` is searched in the multilingual index (not English, and the index has one)."""
        return self.data.multilingual_vectors is not None and detect(question) != DEFAULT

    def embed_multilingual(self, texts: list[str]) -> np.ndarray:
        return get_embedder(self.settings.multilingual_embedder, self.settings.embed_threads)(texts)

    def paragraph_scores(self, question: str | np.ndarray, paragraph_ids: list[str]) -> dict[str, float]:
        """Cosine similarity of the question to each indexed paragraph in `paragraph_ids` (a question not in
        English is compared in the multilingual space)."""
        vectors = self.data.paragraph_vectors
        if isinstance(question, str) and self.multilingual(question) and self.data.multilingual_vectors is not None:
            q, vectors = self.embed_multilingual([question])[0], self.data.multilingual_vectors
        else:
            q = self.embed([expand(question)])[0] if isinstance(question, str) else question
        rows = [(pid, self._row_of_paragraph[pid]) for pid in paragraph_ids if pid in self._row_of_paragraph]
        if not rows:
            return {}
        sims = vectors[[r for _, r in rows]] @ q
        return {pid: float(s) for (pid, _), s in zip(rows, sims)}

    # --- the three rankings -------------------------------------------------
    def _dense(self, q: np.ndarray, n: int) -> list[tuple[int, float]]:
        scores, ids = self.data.chunk_index.search(q[None, :], min(n, len(self.chunks)))
        return _ordered(ids[0], scores[0])

    def _paragraph(self, q: np.ndarray, n: int) -> list[tuple[int, float]]:
        """Chunks ranked by their best paragraph: finds one measure inside a long task."""
        scores, ids = self.data.paragraph_index.search(q[None, :], min(n * 3, len(self.data.paragraph_ids)))
        return self._best_paragraph_chunks(_ordered(ids[0], scores[0]), n)

    def _multilingual(self, question: str, n: int) -> list[tuple[int, float]]:
        """Chunks ranked by their best paragraph in the multilingual space (the asker's own words)."""
        q = self.embed_multilingual([question])[0]
        if self.data.multilingual_index is not None:  # pgvector
            scores, ids = self.data.multilingual_index.search(q[None, :], n * 3)
            return self._best_paragraph_chunks(_ordered(ids[0], scores[0]), n)
        sims = self.data.multilingual_vectors @ q
        top = np.argsort(-sims)[: n * 3]
        return self._best_paragraph_chunks(_ordered(top, sims[top]), n)

    def _best_paragraph_chunks(self, ranked: list[tuple[int, float]], n: int) -> list[tuple[int, float]]:
        best: dict[int, float] = {}
        for i, s in ranked:
            chunk = self._chunk_of_paragraph.get(self.data.paragraph_ids[i])
            if chunk is not None:
                row = self._position[chunk.id]
                best[row] = max(best.get(row, -1.0), float(s))
        return sorted(best.items(), key=lambda kv: -kv[1])[:n]

    def _bm25(self, question: str, n: int) -> list[tuple[int, float]]:
        tokens = tokenize_for_bm25([question])
        if not tokens.vocab:
            return []
        docs, scores = self.data.bm25.retrieve(tokens, k=min(n, len(self.chunks)), show_progress=False)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def weights(self, mode: str | None = None) -> dict[str, float]:
        """Fusion weight per ranking for a mode; rankings with weight 0 are not computed."""
        mode = mode or self.settings.retrieval_mode
        if mode not in MODES:
            raise BadQuestion(f"Unknown retrieval mode {mode!r}; use one of {', '.join(MODES)} (RAG_RETRIEVAL_MODE).")
        s = self.settings
        table = {
            "dense": {"dense": s.dense_mode_chunk_weight, "paragraph": s.dense_mode_paragraph_weight},
            "bm25": {"bm25": 1.0},
            "hybrid": {"dense": s.dense_weight, "paragraph": s.paragraph_weight, "bm25": s.bm25_weight},
        }
        return {name: w for name, w in table[mode].items() if w > 0}

    def rankings(self, question: str, weights: dict[str, float]) -> dict[str, list[tuple[int, float]]]:
        n = self.settings.candidate_k
        dense = {"dense", "paragraph"} & set(weights)
        q = self.embed([question])[0] if dense else np.empty(0, np.float32)  # unused without a dense ranking
        producers = {
            "dense": lambda: self._dense(q, n),
            "paragraph": lambda: self._paragraph(q, n),
            "bm25": lambda: self._bm25(question, n),
        }
        return {name: producers[name]() for name in weights}

    def spelled(self, text: str) -> str:
        """`text` with its typos corrected to the corpus's words (`spell`)."""
        return spell(text, self._words, self.settings.spell_min_letters, self._stems, english_words())

    def search(
        self,
        question: str,
        k: int | None = None,
        *,
        mode: str | None = None,
        doc_ids: Collection[str] | None = None,
        original: str | None = None,
    ) -> list[Hit]:
        """Top-k hits, translations and parts folded; `doc_ids` keeps only those documents.

        A question not in English is searched in the multilingual index; `original` is the asker's own
        words when `question` is their English translation, and adds that multilingual ranking to the
        translation's rankings.
        """
        question = validate_question(question, self.settings)
        k = k or self.settings.top_k
        asked = original if original and self.multilingual(original) else None
        if self.multilingual(question):
            asked, weights, rankings = question, {}, {}
        else:
            weights = self.weights(mode)
            rankings = self.rankings(self.spelled(expand(question)), weights)
        if asked:
            weights["multilingual"] = self.settings.multilingual_weight
            rankings["multilingual"] = self._multilingual(asked, self.settings.candidate_k)
        fused: dict[int, float] = {}
        per: dict[int, dict[str, float]] = {}
        for name, ranking in rankings.items():
            for rank, (row, score) in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + weights[name] / (self.settings.rrf_k + rank + 1)
                per.setdefault(row, {})[name] = round(score, 4)
        groups: dict[str, list[tuple[float, Chunk, dict]]] = {}
        for row, score in sorted(fused.items(), key=lambda kv: -kv[1]):
            chunk = self.chunks[row]
            if doc_ids and chunk.doc_id not in doc_ids and chunk.canonical_doc_id not in doc_ids:
                continue
            groups.setdefault(chunk.unit_id, []).append((score, chunk, per[row]))
        hits: list[Hit] = []
        for members in sorted(groups.values(), key=lambda m: -m[0][0])[:k]:
            score, best, scores = members[0]
            official = [m for m in members if m[1].doc_id == m[1].canonical_doc_id]
            lead = official[0][1] if official else best
            aliases = tuple(m[1].id for m in members if m[1].id != lead.id)
            hits.append(Hit(chunk=lead, score=score, rank=len(hits) + 1, scores=scores, alias_chunk_ids=aliases))
        return hits
