"""Terminal rendering of answers and governance results (plain text for the `rag` command)."""

from __future__ import annotations

from rag.analysis.provisions import LABELS
from rag.core.types import Answer, Governance, Provision
from rag.ingest.documents import Corpus


def sources_text(answer: Answer, corpus: Corpus) -> str:
    """The sources of an answer (or the nearest passages of a refusal), one block each."""
    if answer.refused:
        return "\n".join(
            ["Nearest passages:"] + [f"  - [{ev.paragraph.id}] {ev.paragraph.text[:160]}" for ev in answer.evidence[:5]]
        )
    out = ["Sources:"]
    for c in answer.citations:
        info = corpus.document(c.doc_id).info
        task = f", task {c.task}" if c.task else ""
        status = f" [{c.status}]" if c.status else ""
        out.append(
            f"  [{c.marker}] {info.title[:90]} ({info.number or 'no number'}, {info.date or 'undated'}{task})"
            f'{status}\n      "{c.quote}"\n      {c.url}'
        )
    return "\n".join(out)


def _line(p: Provision) -> str:
    status = (
        f" — {p.status} ('{p.status_cue}')"
        if p.status and p.status != "other"
        else (" — other (no status cue)" if p.status else "")
    )
    where = f", task {p.task}" if p.task else ""
    departments = f"\n      {p.departments}" if p.departments else ""
    return f'{p.paragraph_id} ({p.doc_id}{where}){status}\n      "{p.sentence[:220]}"\n      {p.url}{departments}'


def render(g: Governance) -> str:
    out = [
        f"Governing provision: {_line(g.governing)}",
        f"Reason: {g.reason.text}"
        + (
            f'\n      [{g.reason.paragraph_id}] "{g.reason.quote}"\n      {g.reason.url}'
            if g.reason.paragraph_id
            else ""
        ),
    ]
    related = g.chain + ([g.other_translation] if g.other_translation else [])
    if related:
        out.append("Chain:")
    for r in related:
        out.append(f"  - {r.relation}: {_line(r.provision)}")
        if r.reason and r.reason.paragraph_id and r.relation != LABELS["translation"]:
            out.append(f'      because [{r.reason.paragraph_id}] "{r.reason.quote[:160]}"')
        elif r.note and not (r.reason and r.reason.paragraph_id):
            out.append(f"      {r.note}")
    out.append("Conflicts: " + ("none found" if not g.conflicts else ""))
    out += [f"  - {c.kind}: {c.detail} [{', '.join(c.paragraph_ids)}]" for c in g.conflicts]
    return "\n".join(out)
