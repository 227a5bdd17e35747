"""Which document governs: precedence, versions, translations and measure status.

Only relations stated by the texts decide precedence (corpus/registry.json:
prevails_over, keeps_in_force, implements, same_document_as, each with the
paragraph that states it). Two documents with no stated relation (the 2023 plan
and the others) are reported as such; a later date is mentioned as a date, never
as a rule. Two translations of one document are one source: the official one is
cited and the other's wording is kept as `other_translation`.

Two kinds of question are handled:
  relation  the question names documents and asks about validity, conflicts,
            implementation or versions: the governing provision is the
            sentence that states the relation (from the prevailing document).
  measure   anything else: the closest provision, the same measure found in
            the other documents, and the governing one among them.
"""

from __future__ import annotations

import numpy as np

from rag.analysis.provisions import (
    LABELS,
    best_sentence,
    conflicts,
    is_provision,
    make_provision,
    make_reason,
    provisions,
    resolve_settings,
    sentences,
    stating,
    title,
    translation,
)
from rag.analysis.relations import Registry, for_measure, number_line, relation_candidates
from rag.core.errors import BadQuestion
from rag.core.language import DEFAULT, TEXTS, Phrase
from rag.core.questions import validate_question
from rag.core.settings import Settings
from rag.core.text import doc_of
from rag.core.types import Evidence, Governance, Paragraph, Reason, Related, Relation


def _relation_governance(
    question: str,
    candidates: list[tuple[str, Relation]],
    registry: Registry,
    retriever,
    settings: Settings,
    qvec: np.ndarray,
) -> Governance:
    corpus = registry.corpus
    sources = {registry.canonical(s) for s, _ in candidates}
    top = [s for s in sources if not any(registry.governs(o, s) for o in sources if o != s)]
    chosen = [(s, r) for s, r in candidates if registry.canonical(s) in top]
    if chosen[0][1].type == "same_document_as":
        source, r = chosen[0]
        official = registry.canonical(r.target)
        line = number_line(registry, official) or corpus.documents[official].paragraphs[0]
        score = retriever.paragraph_scores(question, [line.id]).get(line.id, 0.0)
        governing = make_provision(line, line.text, float(score), settings, corpus)
        standing = Phrase("gov_official" if registry.official(source) else "gov_unofficial")
        number = corpus.documents[official].info.number
        text = Phrase(
            "gov_translation", {"official": official, "source": source, "number": number, "standing": standing}
        )
        assert r.paragraph_id is not None  # every same_document_as in corpus/registry.json names its paragraph
        stated_by = corpus.paragraph(r.paragraph_id)
        return Governance(
            question,
            "relation",
            governing,
            make_reason(text, r, settings),
            other_translation=Related(
                LABELS["translation"], make_provision(stated_by, stated_by.text, 0.0, settings, corpus)
            ),
        )
    # Several relations may be stated by one paragraph: cite each paragraph once, best match first.
    pids = list(dict.fromkeys(r.paragraph_id for _, r in chosen if r.paragraph_id))
    scores = retriever.paragraph_scores(question, pids)
    pid = max(pids, key=lambda p: scores.get(p, 0.0))
    stated = [r for _, r in chosen if r.paragraph_id == pid]
    paragraph = corpus.paragraph(pid)
    governing = make_provision(paragraph, stating(paragraph, stated[0].quote), scores.get(pid, 0.0), settings, corpus)
    source = paragraph.doc_id
    relations = tuple(relation_phrase(source, r.type, title(corpus, r.target)) for r in stated)
    reason = make_reason(Phrase("gov_stated_by", {"source": source, "relations": relations}), stated[0], settings)
    chain: list[Related] = []
    for s, r in candidates:
        if r.paragraph_id in (None, pid) or any(c.provision.paragraph_id == r.paragraph_id for c in chain):
            continue
        other = corpus.paragraph(r.paragraph_id)
        label, via, note = _relate(registry, source, registry.canonical(s))
        if via is None:
            label = LABELS["also"]
        provision = make_provision(other, stating(other, r.quote), float(scores.get(other.id, 0.0)), settings, corpus)
        chain.append(Related(label, provision, make_reason(note, via, settings), note=note.say()))
    return Governance(
        question, "relation", governing, reason, chain, translation(registry, paragraph, qvec, retriever, settings)
    )


def relation_phrase(source: str, kind: str, target: str) -> Phrase:
    """ "`source` <relation> `target`" in the catalog's words, or the registry's own for a type it does not name."""
    known = f"gov_rel_{kind}" in TEXTS[DEFAULT]
    values = {"source": source, "target": target} | ({} if known else {"relation": kind.replace("_", " ")})
    return Phrase(f"gov_rel_{kind}" if known else "gov_rel_other", values)


# --- measure questions ----------------------------------------------------------------------------
def _candidates(question: str, retriever, settings: Settings, doc_ids: set[str] | None) -> dict[str, float]:
    """Provision paragraphs of the retrieved chunks, official translation only, scored against the question."""
    corpus = retriever.corpus
    hits = retriever.search(question, settings.governs_hits, doc_ids=doc_ids or None)
    pids: list[str] = []
    for h in hits:
        chunk = h.chunk
        official = corpus.documents[chunk.canonical_doc_id]
        if chunk.doc_id != chunk.canonical_doc_id:
            if not chunk.task:
                continue  # a section of the other translation: its official section is retrieved on its own
            pids += [p.id for p in official.paragraphs if p.task == chunk.task]
        else:
            pids += list(chunk.paragraph_ids)
    keep = [
        pid
        for pid in dict.fromkeys(pids)
        if is_provision(corpus.paragraph(pid), corpus)
        and (not doc_ids or corpus.documents[corpus.paragraph(pid).doc_id].info.canonical_id in doc_ids)
    ]
    return retriever.paragraph_scores(question, keep) if keep else {}


def _same_measure(
    registry: Registry, anchor: Paragraph, sentence: str, retriever, settings: Settings, qvec: np.ndarray
) -> list[tuple[Paragraph, str, float]]:
    """The closest statement of the anchor's measure in each other (official) document.

    Paragraphs are shortlisted by paragraph cosine, then compared unit by unit in one batch (a paragraph of
    the 2019 plan states many measures). A unit counts when it is close to the anchor's sentence and about
    as close to the question as the anchor is (so a neighbouring measure does not take the lead).
    """
    corpus = registry.corpus
    others = [d for d in corpus.documents if registry.canonical(d) == d and d != registry.canonical(anchor.doc_id)]
    scores = retriever.paragraph_scores(sentence, [p.id for d in others for p in provisions(corpus, d)])
    units = []
    for d in others:
        for pid in sorted((pid for pid in scores if doc_of(pid) == d), key=lambda pid: -scores[pid])[:3]:
            paragraph = corpus.paragraph(pid)
            units += [(paragraph, s) for s in sentences(paragraph.text) if len(s) > 20]
    if not units:
        return []
    vectors = retriever.embed([sentence] + [s for _, s in units])
    sims, relevance = vectors[1:] @ vectors[0], vectors[1:] @ qvec
    floor = float(vectors[0] @ qvec) - settings.governs_question_margin
    best: dict[str, tuple[Paragraph, str, float]] = {}
    for (paragraph, s), sim, rel in zip(units, sims, relevance):
        close = sim >= settings.governs_same_measure and rel >= floor
        if close and sim > best.get(paragraph.doc_id, (None, "", -1.0))[2]:
            best[paragraph.doc_id] = (paragraph, s, float(sim))
    return list(best.values())


def _relate(registry: Registry, lead: str, other: str) -> tuple[str, Relation | None, Phrase]:
    """How `other` stands to the lead document: label, the stated relation to cite, a note."""
    corpus = registry.corpus
    path = registry.governs(lead, other)
    if path:
        if path[-1][1].type == "implements":
            r = path[-1][1]
            return (
                LABELS["implements"],
                r,
                Phrase("gov_rel_implements", {"source": other, "target": title(corpus, r.target)}),
            )
        kept = registry.stated(lead, "keeps_in_force", other)
        if kept:
            return LABELS["kept"], kept, Phrase("gov_kept", {"lead": lead, "other": other})
        return LABELS["prevailed"], path[0][1], Phrase("gov_rel_prevails_over", {"source": lead, "target": other})
    back = registry.governs(other, lead)
    if back:
        if back[-1][1].type == "implements" and len(back) == 1:
            implemented = Phrase("gov_rel_implements", {"source": lead, "target": title(corpus, other)})
            return LABELS["implemented"], back[0][1], implemented
        return LABELS["prevails"], back[0][1], Phrase("gov_prevails_where", {"source": other, "target": lead})
    gy, oy = registry.year(lead), registry.year(other)
    later: Phrase | str = ""
    if gy and oy and gy != oy:
        later = Phrase("gov_later", {"doc": other, "year": oy} if oy > gy else {"doc": lead, "year": gy})
    return LABELS["restated"], None, Phrase("gov_no_precedence", {"lead": lead, "other": other, "later": later})


def _lone_reason(registry: Registry, doc_id: str, settings: Settings) -> Reason:
    """Why a provision matched in one document only stands: who keeps that document in force, if anyone."""
    corpus = registry.corpus
    alone = lambda rest: Phrase("gov_alone", {"rest": rest})
    for source, r in registry.relations:
        if r.target == doc_id and r.type == "keeps_in_force":
            return make_reason(
                alone(Phrase("gov_kept_only", {"source": source, "target": title(corpus, doc_id)})), r, settings
            )
    implemented = next((r for s, r in registry.relations if s == doc_id and r.type == "implements"), None)
    if implemented:
        text = Phrase("gov_rel_implements", {"source": doc_id, "target": title(corpus, implemented.target)})
        return make_reason(alone(Phrase("gov_sentence", {"text": text})), implemented, settings)
    own = next((r for s, r in registry.relations if s == doc_id and r.type == "prevails_over"), None)
    if own:
        return make_reason(alone(Phrase("gov_prevails_earlier", {"doc": title(corpus, doc_id)})), own, settings)
    return make_reason(alone(Phrase("gov_no_relation", {"doc": doc_id})), None, settings)


def _measure_governance(
    question: str,
    scores: dict[str, float],
    registry: Registry,
    retriever,
    settings: Settings,
    qvec: np.ndarray,
    named: frozenset[str] | set[str] = frozenset(),
    answering: tuple[str, str] | None = None,
) -> Governance:
    corpus = registry.corpus
    if answering and answering[0] in scores:  # the answer's own first quote: its box speaks of the same sentence
        anchor, sentence = corpus.paragraph(answering[0]), answering[1]
    else:
        anchor = corpus.paragraph(max(scores, key=lambda pid: scores[pid]))
        sentence, _ = best_sentence(anchor, qvec, retriever)
    same = _same_measure(registry, anchor, sentence, retriever, settings, qvec)
    group = [(anchor, sentence, 1.0)] + same  # the third item: cosine to the anchor's sentence
    docs = [p.doc_id for p, _, _ in group]
    top = [d for d in docs if not any(registry.governs(o, d) for o in docs if o != d)] or docs
    asked_under = registry.canonical(anchor.doc_id) in named and not named & set(top)
    if asked_under:
        top = [anchor.doc_id]  # the question names this document: its provision leads, the prevailing one is shown
    lead = next(g for g in group if g[0].doc_id == top[0])
    governing = make_provision(lead[0], lead[1], scores.get(lead[0].id, 0.0), settings, corpus)
    chain, notes, first_stated = [], [], None
    for p, s, sim in group:
        if p.doc_id == lead[0].doc_id:
            continue
        label, r, note = _relate(registry, lead[0].doc_id, p.doc_id)
        first_stated = first_stated or r
        notes.append(note)
        chain.append(
            Related(
                label,
                make_provision(p, s, lead[2] if p is anchor else sim, settings, corpus),
                make_reason(note, r, settings),
                note=note.say(),
            )
        )
    if first_stated:
        stated = next(n for c, n in zip(chain, notes) if c.reason and c.reason.relation)
        why = Phrase("gov_asked" if asked_under else "gov_governs", {"lead": lead[0].doc_id, "note": stated})
        reason = make_reason(why, first_stated, settings)
    elif chain:
        closest = {"lead": lead[0].doc_id, "notes": tuple(notes)}
        reason = make_reason(Phrase("gov_closest", closest, join="gov_then"), None, settings)
    else:
        reason = _lone_reason(registry, lead[0].doc_id, settings)
    keeper = next(
        (
            (s, r)
            for s, r in registry.relations
            if r.target == lead[0].doc_id and r.type == "keeps_in_force" and s not in docs
        ),
        None,
    )
    if keeper and reason.paragraph_id != keeper[1].paragraph_id and reason.phrase:
        kept = {"first": reason.phrase, "keeper": keeper[0], "lead": lead[0].doc_id, "pid": keeper[1].paragraph_id}
        reason.phrase = Phrase("gov_keeper", kept)
        reason.text = reason.phrase.say()
    gvec = qvec if lead[0] is anchor else retriever.embed([lead[1]])[0]
    other = translation(registry, lead[0], gvec, retriever, settings)
    found = conflicts(governing, chain, settings)
    return Governance(question, "measure", governing, reason, chain, other, found)


# --- entry points ---------------------------------------------------------------------------------
def governs(question_or_rule: str, retriever, settings: Settings | None = None) -> Governance:
    """The provision that governs a rule or question, why (the stated precedence), and its related provisions."""
    settings = resolve_settings(settings, retriever)
    question = validate_question(question_or_rule, settings)
    registry = Registry(retriever.corpus)
    qvec = retriever.embed([question])[0]
    candidates = relation_candidates(question, registry)
    named = {d for d in registry.mentioned(question) if d in retriever.corpus.documents}
    # A question that names documents is answered from them; the others still join as the same measure.
    scores = _candidates(question, retriever, settings, named) or _candidates(question, retriever, settings, None)
    if candidates and scores:
        best = retriever.corpus.paragraph(max(scores, key=lambda pid: scores[pid]))
        candidates = for_measure(candidates, best.kind in ("measure", "task"))
    if candidates:
        return _relation_governance(question, candidates, registry, retriever, settings, qvec)
    if not scores or max(scores.values()) < settings.min_evidence_score:
        raise BadQuestion(
            "Nothing in the documents is close to this rule or question, so no document governs it "
            "here; try the words the plans use."
        )
    return _measure_governance(question, scores, registry, retriever, settings, qvec, named)


def governance_for_answer(
    question: str,
    evidence: list[Evidence],
    retriever,
    settings: Settings | None = None,
    answering: tuple[str, str] | None = None,
) -> Governance | None:
    """Governance over an answer's evidence; None unless it spans documents. `answering` (paragraph id, sentence)
    is the answer's first quote: the measure the governance speaks of, so its status agrees with the headline's."""
    registry = Registry(retriever.corpus)
    if len({registry.canonical(e.paragraph.doc_id) for e in evidence}) < 2:
        return None
    settings = resolve_settings(settings, retriever)
    question = question or evidence[0].paragraph.text
    official = {
        e.paragraph.id: e.score
        for e in evidence
        if registry.official(e.paragraph.doc_id) and is_provision(e.paragraph, retriever.corpus)
    }
    if not official:
        return None
    qvec = retriever.embed([question])[0]
    return _measure_governance(question, official, registry, retriever, settings, qvec, answering=answering)
