"""Named types at each boundary of the pipeline.

documents -> Document/Paragraph, chunking -> Chunk, retrieve -> Hit,
answer -> Evidence/Citation/Answer, analysis -> Governance. Plain dataclasses that
pickle and serialise without surprises; all are frozen except the governance result
types, which rag.analysis.governs assembles step by step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rag.core.instructions import without
from rag.core.language import Phrase
from rag.core.text import task_key


@dataclass(frozen=True)
class Relation:
    """A relation between documents, as stated by one sentence of the corpus."""

    type: str  # same_document_as | implements | keeps_in_force | prevails_over | replaces
    target: str  # a corpus doc id or a known reference id (e.g. "gh-2015-81")
    paragraph_id: str | None  # the paragraph whose sentence states it
    quote: str = ""  # the stating words, verbatim


@dataclass(frozen=True)
class Reference:
    """A document the corpus refers to but does not contain."""

    id: str
    title: str
    number: str
    mentioned_in: tuple[str, ...] = ()  # paragraph ids


@dataclass(frozen=True)
class Paragraph:
    """One cleaned unit of text; `start`/`end` are offsets into the raw file."""

    id: str  # "<doc_id>.p<NNN>", position in the cleaned document
    doc_id: str
    index: int
    text: str  # whitespace-normalised; noise removed
    start: int
    end: int
    kind: str  # title | letter | heading | group | task | measure | departments | body | excerpt
    section: str  # human-readable section path, e.g. "Annex > Main tasks"
    group: str | None = None
    task: str | None = None  # task number as a string, None outside tasks
    task_title: str | None = None
    instructions: tuple[str, ...] = ()  # its sentences addressed to an assistant (rag.core.instructions): never quoted

    @property
    def quotable(self) -> str:
        """The text without its sentences addressed to an assistant: what a model reads and a claim may rest on."""
        return without(self.text, self.instructions) if self.instructions else self.text


@dataclass(frozen=True)
class DocumentInfo:
    """Registry facts about one corpus document; unknown facts are None."""

    id: str
    file: str
    sha256: str
    title: str
    issuer: str | None
    level: str  # national | municipal | district
    number: str | None
    date: str | None  # ISO date, or None when the text does not give it
    source_note: str
    canonical_id: str  # itself, or the official translation's id
    official: bool = True
    relations: tuple[Relation, ...] = ()


@dataclass(frozen=True)
class Document:
    info: DocumentInfo
    text: str  # the raw file, byte-for-byte decoded
    paragraphs: tuple[Paragraph, ...]
    structure: str = "numbered tasks"  # how the parser found the tasks, or why it found none (rag inspect)

    @property
    def id(self) -> str:
        return self.info.id


@dataclass(frozen=True)
class Chunk:
    """One retrievable unit: a task (or part of a long task) or a section."""

    id: str  # "<doc_id>.t<NN>[.<part>]" for tasks, "<doc_id>.s<NN>" for sections
    doc_id: str
    canonical_doc_id: str
    task: str | None
    task_title: str | None
    group: str | None
    section: str
    paragraph_ids: tuple[str, ...]
    start: int
    end: int
    text: str
    part: int = 0  # 0 = whole task; 1.. = parts of a split task
    assignment: dict[str, Any] | None = None  # how measures were assigned to this task

    @property
    def task_id(self) -> str | None:
        """Task-level id shared by all parts ("<doc>.t<NN>"), None outside tasks."""
        return task_key(self.doc_id, self.task) if self.task else None

    @property
    def unit_id(self) -> str:
        """The result a chunk belongs to: its task in the official translation (any part), else the chunk."""
        return task_key(self.canonical_doc_id, self.task) if self.task else self.id


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    rank: int
    scores: dict[str, float] = field(default_factory=dict)  # per-retriever scores
    alias_chunk_ids: tuple[str, ...] = ()  # other translations folded into this hit

    def to_json(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "chunk_id": c.id,
            "doc_id": c.doc_id,
            "canonical_doc_id": c.canonical_doc_id,
            "task": c.task,
            "section": c.section,
            "paragraph_ids": list(c.paragraph_ids),
            "score": round(self.score, 6),
        }


@dataclass(frozen=True)
class Evidence:
    """A numbered paragraph given to the language model."""

    marker: int
    paragraph: Paragraph
    chunk: Chunk
    score: float
    asked: bool = False  # the date, number, task-count or relation line of a document the question asks about: quoted


@dataclass(frozen=True)
class Citation:
    marker: int
    paragraph_id: str
    doc_id: str
    canonical_doc_id: str
    task: str | None
    section: str
    quote: str  # verbatim supporting sentence from the corpus
    start: int  # raw-file offsets of the quote
    end: int
    url: str
    support: float = 0.0  # how well the cited sentence is supported by the quote
    status: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- which document governs (rag.analysis.governs) ---
@dataclass
class Provision:
    paragraph_id: str
    doc_id: str
    task: str | None
    text: str  # the paragraph
    sentence: str  # the sentence that states the measure (the whole paragraph when it is one sentence)
    status: str | None  # rag.analysis.status label of `sentence`; None for non-measure text
    status_cue: str | None
    url: str
    score: float = 0.0  # cosine to the question (governing) or to the closest provision's sentence (related)
    departments: str | None = None  # district plans: the task's "District-level responsible departments" text


@dataclass
class Reason:
    text: str  # in English (`phrase` read in the default language)
    paragraph_id: str | None  # the paragraph that states the precedence (None when the texts state none)
    url: str | None
    relation: str | None = None  # registry relation type
    quote: str = ""
    phrase: Phrase | None = None  # the catalog sentence `text` was read from, for a page in another language

    def say(self, language: str) -> str:
        return self.phrase.say(language) if self.phrase else self.text


@dataclass
class Related:
    relation: str  # one of LABELS' values
    provision: Provision
    reason: Reason | None = None
    note: str = ""


@dataclass
class Conflict:
    kind: str  # status | figures
    paragraph_ids: list[str]
    detail: str


@dataclass
class Governance:
    question: str
    mode: str  # relation | measure
    governing: Provision
    reason: Reason
    chain: list[Related] = field(default_factory=list)
    other_translation: Related | None = None
    conflicts: list[Conflict] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The result as plain data; each reason's text is in English (its catalog phrase stays in process)."""
        return asdict(self, dict_factory=lambda items: {k: v for k, v in items if k != "phrase"})

    def paragraph_ids(self) -> list[str]:
        ids = [self.governing.paragraph_id] + [r.provision.paragraph_id for r in self.chain]
        return ids + ([self.other_translation.provision.paragraph_id] if self.other_translation else [])


# The verdict that opens the answer to a yes-or-no question (rag.answer.verdict): granted as asked; granted with a
# cap, condition or exclusion; the source says the opposite; only planned or to be explored; the documents do not say.
VERDICTS = ("yes", "yes_conditions", "no", "not_yet", "not_said")


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    backend: str
    citations: list[Citation] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notice: str | None = None  # e.g. "the LLM failed; extractive fallback used"
    governing: Governance | None = None  # which document governs, when evidence spans documents
    lead: str = ""  # the checked one-sentence lead at the start of `text` (translated with it); "" when none
    standalone_question: str | None = None  # what was searched: the follow-up made standalone, in English
    language: str = "en"  # detected language of the question; the answer is written in it
    translated_from: str | None = None  # the checked English answer `text` is a model translation of
    verdict: str | None = None  # yes-or-no questions: one of VERDICTS as shown; None when none is shown
    decisive: str = ""  # the source's decisive clause under the verdict, verbatim with its marker
    status: str | None = None  # the headline status: that of the sentence that answers (the first citation)
    gap: str | None = None  # what the question asks that no quote names: "authority" | "deadline" (rag.answer.gaps)
    answering: str = ""  # the quoted sentence that answers, with its marker: what a translation opens with

    def to_json(self, id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if id is None else {"id": id}
        out.update(
            question=self.question,
            answer=self.text,
            refused=self.refused,
            backend=self.backend,
            citations=[
                {k: v for k, v in c.to_json().items() if k not in ("start", "end", "support")}
                | {"offsets": [c.start, c.end]}
                for c in self.citations
            ],
            timings={k: round(v, 1) for k, v in self.timings.items()},
        )
        out.update(standalone_question=self.standalone_question or self.question, language=self.language)
        if self.translated_from is not None:
            out["translated_from"] = self.translated_from
        if self.verdict is not None:
            out["verdict"] = self.verdict
        if self.status is not None:
            out["status"] = self.status
        if self.gap is not None:
            out["gap"] = self.gap
        if self.notice:
            out["notice"] = self.notice
        if self.governing is not None:
            out["governing"] = self.governing.to_json()
        return out
