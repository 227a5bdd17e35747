"""A document's outline, read from its parsed paragraphs: how many numbered tasks it has, in how many groups, and
the goals it sets.

"How many tasks does the 2023 plan list?" is answered by the structure itself, not by a passage that happens to share
its words (the nearest ones are reply letters, and "the 64th executive meeting" is no count of tasks). The answer
rests on quotable paragraphs: the last task of a numbering that runs 1 to n without a gap, the last group heading,
and any sentence of the document or of another translation of it that states the count in words ("There are 26 major
tasks in 4 categories"), kept only when it agrees with the numbering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rag.core.types import Paragraph

# How many tasks in all: "how many (main) tasks", "how many task headings", "how many numbered measures", not "how
# many tasks concern tourism" (a count of some tasks, which the numbering does not give).
_TOTAL = r"(?:(?:main|major|key|numbered|separate|different|individual)\s+)?"
_SOME = r"(?!\s+(?:\w+\s+){0,3}?(?:about|on|for|concern\w*|relat\w*|cover\w*|deal\w*|involv\w*|address\w*|to)\b)"
COUNT_ASKED_RE = re.compile(
    rf"\bhow\s+many\s+{_TOTAL}(?:tasks|task\s+headings|groups|categories)\b{_SOME}"
    rf"|\bnumber\s+of\s+{_TOTAL}tasks\b{_SOME}"
    # "how many numbered measures": the numbering is the tasks'
    rf"|\bhow\s+many\s+numbered\s+(?:measures|items|points|headings)\b{_SOME}"
    r"|(?:多少|几)[项个条]?(?:主要|重点)?任务|任务[^？?]{0,6}(?:多少|几)[项个条]|(?:多少|几)[个大]?(?:类|组|部分)",
    re.I,
)
_GROUPS_ASKED_RE = re.compile(r"\b(?:groups|categories)\b|(?:多少|几)[个大]?(?:类|组|部分)|分[为成]", re.I)
_STATED_RE = re.compile(
    r"\b(\d+)\s+(?:major\s+|main\s+|key\s+)?tasks\b(?:\s+in\s+(\d+)\s+(?:categories|groups))?", re.I
)


@dataclass(frozen=True)
class Outline:
    doc_id: str
    tasks: tuple[Paragraph, ...]  # the task paragraphs, numbered 1 to n in order
    groups: tuple[Paragraph, ...]  # the group headings the tasks sit under ("(IV) ..."), in order
    stating: tuple[Paragraph, ...]  # sentences of the document's family that state the same count in words

    def lines(self, groups: bool) -> list[Paragraph]:
        """The paragraphs an answer on the count quotes: those stating it, the last task, the last group."""
        return [*self.stating, self.tasks[-1], *(self.groups[-1:] if groups else ())]

    def sentence(self, marker: dict[str, int], groups: bool) -> str:
        """The count, in the document's numbering, each figure cited to the paragraph that shows it
        (`marker`: paragraph id -> citation number). The document is named by its id, which readers see by name."""
        cite = "".join(f"[{marker[p.id]}]" for p in (*self.stating, self.tasks[-1]) if p.id in marker)
        text = f"{self.doc_id} lists {len(self.tasks)} numbered tasks {cite}"
        if groups and self.groups and self.groups[-1].id in marker:
            text += f", in {len(self.groups)} groups [{marker[self.groups[-1].id]}]"
        return text + "."


def outline(corpus: Any, doc_id: str) -> Outline | None:
    """The outline of `doc_id`, or None when its tasks are not numbered 1 to n without a gap (a count read from a
    broken numbering would be a guess)."""
    doc = corpus.documents.get(doc_id)
    tasks = tuple(p for p in doc.paragraphs if p.kind == "task") if doc else ()
    if not tasks or [p.task for p in tasks] != [str(n) for n in range(1, len(tasks) + 1)]:
        return None
    groups = tuple(p for p in doc.paragraphs if p.kind == "group")
    family = [d for d in corpus.documents.values() if d.info.canonical_id == doc.info.canonical_id]
    stating = tuple(
        p
        for d in family
        for p in d.paragraphs
        if p.kind not in ("task", "measure")
        and (m := _STATED_RE.search(p.text))
        and int(m.group(1)) == len(tasks)
        and (not m.group(2) or int(m.group(2)) == len(groups))
    )
    return Outline(doc_id, tasks, groups, stating)


def outline_lines(question: str, corpus: Any, doc_ids: set[str]) -> list[Paragraph]:
    """The paragraphs that answer a question asking how many tasks (or groups) the named documents have."""
    if not COUNT_ASKED_RE.search(question):
        return []
    found = [o for d in sorted(doc_ids) if (o := outline(corpus, d))]
    return [p for o in found for p in o.lines(bool(_GROUPS_ASKED_RE.search(question)))]


def count_sentence(corpus: Any, asked: dict[str, int]) -> str:
    """The code's answer to a count question, over the lines quoted for it (`asked`: paragraph id -> citation
    number of each line quoted because the question asked for it): one sentence per document whose last task is
    among them, its groups counted when its last group heading is too; "" when no count was asked."""
    docs = dict.fromkeys(corpus.paragraph(pid).doc_id for pid in asked)
    found = [o for d in docs if (o := outline(corpus, d)) and o.tasks[-1].id in asked]
    return " ".join(o.sentence(asked, bool(o.groups) and o.groups[-1].id in asked) for o in found)


# A document's goals asked ("What are the goals of the 2020 plan for 2025?", "the 2030 target?", "what is it meant to
# achieve by 2025?", "What milestone years does it set?", "到2025年要实现哪些目标"): its goals section answers ("2.
# Development goals": "By 2025, ...", "By 2030, ..."), whatever words the question shares with it (the front matter
# and the keeps-in-force paragraph name the plan more often than the goals do); a year asked picks its own paragraph.
GOALS_ASKED_RE = re.compile(
    r"\b(?:goals?|targets?|objectives?|milestones?)\b"
    r"|\b(?:aim\w*|meant|supposed|expected|intended|set)\s+to\s+(?:achieve|accomplish|reach|attain)\b|目标",
    re.I,
)
_GOALS_SECTION_RE = re.compile(r"\b(?:goals?|objectives?|targets?)\s*$", re.I)
_BY_YEAR_RE = re.compile(r"^\W*By\s+(\d{4})\b", re.I)


def goal_lines(question: str, corpus: Any, doc_ids: set[str]) -> list[Paragraph]:
    """The paragraphs of the named documents' goals sections, when the question asks for a document's goals: those
    of the year the question names ("By 2030, ..." for "the 2030 target?"), else all of them."""
    if not GOALS_ASKED_RE.search(question):
        return []
    found = [
        p
        for d in sorted(doc_ids)
        for p in corpus.documents[d].paragraphs
        if p.kind == "body" and _GOALS_SECTION_RE.search(p.section)
    ]
    years = set(re.findall(r"\d{4}", question))
    return [p for p in found if (m := _BY_YEAR_RE.match(p.text)) and m.group(1) in years] or found
