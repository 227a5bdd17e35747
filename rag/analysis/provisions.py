"""Provisions: the sentences of the corpus that state a rule, with status, departments and conflicts."""

from __future__ import annotations

import re

import numpy as np

from rag.analysis.relations import Registry
from rag.analysis.status import Status, is_measure, tag
from rag.core.language import Phrase
from rag.core.settings import Settings, get_settings
from rag.core.text import split_sentences
from rag.core.types import Conflict, Paragraph, Provision, Reason, Related, Relation
from rag.ingest.documents import Corpus, paragraph_url

PROVISION_KINDS = {"measure", "task", "body", "letter"}
MIN_PROVISION_WORDS = 6  # body and letter lines; shorter ones are dates, signatures, headings
FIGURE_RE = re.compile(
    r"(?:US\s*\$\s*)?\d[\d,.]*\s*(?:%|per ?cent|million|billion|yuan|years?)(?:\s*(?:yuan|dollars))?", re.I
)
LABELS = {
    "translation": "other translation",
    "kept": "older, kept in force",
    "prevailed": "older, prevailed over",
    "implements": "implemented by",
    "restated": "restated by",
    "also": "also states it",
    "prevails": "later, prevails where inconsistent",
    "implemented": "the plan it implements",
}


# --- helpers --------------------------------------------------------------------------------------
def resolve_settings(settings: Settings | None, retriever) -> Settings:
    return settings or getattr(retriever, "settings", None) or get_settings()


def sentences(text: str) -> list[str]:
    """Measure units, verbatim: sentences, and the main clauses a ", and" joins ("We shall X, and allow Y")."""
    out = []
    for a, b in split_sentences(text):
        out += [u.strip() for u in re.split(r",\s+and\s+(?=[a-z])", text[a:b]) if u.strip()]
    return out or [text]


def stating(paragraph: Paragraph, quote: str) -> str:
    """The sentence of a paragraph that holds a relation's quote (the paragraph when none does)."""
    return next(
        (
            paragraph.text[a:b]
            for a, b in split_sentences(paragraph.text)
            if quote and quote[:40] in paragraph.text[a:b]
        ),
        paragraph.text,
    )


def best_sentence(paragraph: Paragraph, vector: np.ndarray, retriever) -> tuple[str, float]:
    """The paragraph's measure unit closest to `vector`, with its cosine."""
    units = [s for s in sentences(paragraph.text) if len(s) > 20] or [paragraph.text]
    sims = retriever.embed(units) @ vector
    i = int(np.argmax(sims))
    return units[i], float(sims[i])


LEAD_PHRASE_RE = re.compile(r"^[A-Z][a-z]+ing\b")  # "Strengthening ...", "Encouraging ...", "Optimizing ..."
LEAD_PHRASE_MAX_WORDS = 16


def is_lead_phrase(paragraph: Paragraph, sentence: str) -> bool:
    """Whether `sentence` is a measure paragraph's lead phrase, its heading: the paragraph opens with it, it is a
    gerund phrase of at most LEAD_PHRASE_MAX_WORDS words, and the measure's own sentences follow ("Strengthening the
    leading role of airport economic zones. We shall ... seek to allow ..."; 32 measures of the 2019 plan open so).
    It states no measure, so it decides neither the verdict nor the status of an answer that quotes it."""
    s = sentence.strip()
    return (
        paragraph.kind in ("measure", "task")
        and bool(LEAD_PHRASE_RE.match(s))
        and len(s.split()) <= LEAD_PHRASE_MAX_WORDS
        and paragraph.text.lstrip().startswith(s)
        and len(paragraph.text.strip()) > len(s) + 1
    )


def sentence_status(paragraph: Paragraph, sentence: str) -> Status | None:
    """The status of one measure sentence (None outside measures): what `rag governs` and a citation both show."""
    return tag(sentence) if paragraph.kind in ("measure", "task") else None


def make_provision(paragraph: Paragraph, sentence: str, score: float, settings: Settings, corpus: Corpus) -> Provision:
    status = sentence_status(paragraph, sentence)
    return Provision(
        paragraph_id=paragraph.id,
        doc_id=paragraph.doc_id,
        task=paragraph.task,
        text=paragraph.text,
        sentence=sentence,
        status=status.label if status else None,
        status_cue=status.cue if status else None,
        url=paragraph_url(paragraph.id, settings),
        score=round(score, 4),
        departments=departments_of(corpus, paragraph) if paragraph.task else None,
    )


def make_reason(phrase: Phrase, relation: Relation | None, settings: Settings) -> Reason:
    pid = relation.paragraph_id if relation else None
    return Reason(
        text=phrase.say(),
        phrase=phrase,
        paragraph_id=pid,
        url=paragraph_url(pid, settings) if pid else None,
        relation=relation.type if relation else None,
        quote=relation.quote if relation else "",
    )


def title(corpus: Corpus, doc_id: str) -> str:
    if doc_id in corpus.documents:
        info = corpus.documents[doc_id].info
        return f"{doc_id} ({info.number})" if info.number else doc_id
    ref = corpus.references.get(doc_id)
    return f"{doc_id} ({ref.number})" if ref else doc_id


def is_provision(paragraph: Paragraph, corpus: Corpus) -> bool:
    """Text that can state a rule: measures, inline tasks, and body or letter sentences (not dates, signatures)."""
    doc = corpus.documents[paragraph.doc_id]
    if paragraph.kind in ("body", "letter"):
        return len(paragraph.text.split()) >= MIN_PROVISION_WORDS and bool(re.search(r"[.;!?\"”)]$", paragraph.text))
    return paragraph.kind == "measure" or (paragraph.kind == "task" and is_measure(paragraph, doc))


def provisions(corpus: Corpus, doc_id: str) -> list[Paragraph]:
    return [p for p in corpus.documents[doc_id].paragraphs if is_provision(p, corpus)]


def departments_of(corpus: Corpus, paragraph: Paragraph) -> str | None:
    after = corpus.documents[paragraph.doc_id].paragraphs[paragraph.index + 1 :]
    return next((p.text for p in after[:3] if p.kind == "departments" and p.task == paragraph.task), None)


def translation(
    registry: Registry, paragraph: Paragraph, vector: np.ndarray, retriever, settings: Settings
) -> Related | None:
    """The same provision in another translation of its document: same task, closest sentence."""
    corpus = registry.corpus
    for doc_id, r in registry.relations:
        if r.type != "same_document_as" or r.target != paragraph.doc_id or doc_id not in corpus.documents:
            continue
        pool = [p for p in corpus.documents[doc_id].paragraphs if p.kind in PROVISION_KINDS]
        same_task = [p for p in pool if paragraph.task and p.task == paragraph.task]
        if not same_task:
            scores = retriever.paragraph_scores(paragraph.text, [p.id for p in pool])
            same_task = sorted(pool, key=lambda p: -scores.get(p.id, -1.0))[:2]
        best = max(((p, *best_sentence(p, vector, retriever)) for p in same_task), key=lambda t: t[2])
        return Related(
            LABELS["translation"],
            make_provision(best[0], best[1], best[2], settings, corpus),
            make_reason(
                Phrase("gov_other_translation", {"doc": title(corpus, doc_id), "of": paragraph.doc_id}), r, settings
            ),
            note="unofficial translation" if not registry.official(doc_id) else "",
        )
    return None


def figures(text: str) -> set[str]:
    return {re.sub(r"\s+", " ", m.group(0).strip(" ,.")).lower() for m in FIGURE_RE.finditer(text)}


def conflicts(governing: Provision, related: list[Related], settings: Settings) -> list[Conflict]:
    """Different statuses or different figures for the same measure, reported side by side, never merged."""
    out = []
    for r in related:
        p = r.provision
        if p.score < settings.governs_conflict_same:
            continue  # too loose a match to call a contradiction
        if governing.status not in (None, "other") and p.status not in (None, "other") and p.status != governing.status:
            out.append(
                Conflict(
                    "status",
                    [governing.paragraph_id, p.paragraph_id],
                    f"{governing.doc_id} says {governing.status} ('{governing.status_cue}'), "
                    f"{p.doc_id} says {p.status} ('{p.status_cue}').",
                )
            )
        mine, theirs = figures(governing.sentence), figures(p.sentence)
        if mine and theirs and mine != theirs:
            out.append(
                Conflict(
                    "figures",
                    [governing.paragraph_id, p.paragraph_id],
                    f"{governing.doc_id} gives {', '.join(sorted(mine))}; "
                    f"{p.doc_id} gives {', '.join(sorted(theirs))}.",
                )
            )
    return out
