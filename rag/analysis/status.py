"""Measure status as written: in_force, supported, explore or other, with the words that decided it.

The label comes from the governing verb of a main clause, not from any cue word
anywhere in the paragraph: "The study will allow foreign banks ..." is explore
(the subject is a study), "Support enterprises to apply ..." is supported (the
support governs the apply), "Explore a mechanism ..., allowing ..." is explore
(the allowing is a participle under the explore). The main clause is the first
clause of the measure's first sentence (after a lead-in title); when its governing
verb carries no cue the measure is `other`, even if a later clause says "support"
or "explore": the status belongs to the measure as stated first, not to an aside.

A grant stated as intended, not done, is a plan (explore): "restrictions are to be lifted" (is/are to be),
or a grant put off to a time not yet come ("... at an appropriate time", "in due course", "when conditions
permit") anywhere in the measure's first sentence. "Will be lifted/delegated/issued" stays in_force: in
these documents it is how a decision is announced (eval/README.md's labelling rules read it so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.core.text import split_sentences
from rag.core.types import Document, Paragraph

LABELS = ("in_force", "supported", "explore", "other")

# Verb lemmas that carry a status when they govern a main clause.
VERB_CUES: dict[str, str] = {
    **dict.fromkeys(
        (
            "allow",
            "permit",
            "lift",
            "cancel",
            "remove",
            "abolish",
            "eliminate",
            "exempt",
            "relax",
            "loosen",
            "delegate",
            "grant",
        ),
        "in_force",
    ),
    **dict.fromkeys(("support", "encourage"), "supported"),
    **dict.fromkeys(("explore", "study", "research", "pilot", "seek", "trial", "try"), "explore"),
}
# Head nouns of a subject that make the whole clause a study or a support: "The study will allow ...".
NOUN_CUES = {
    "study": "explore",
    "studies": "explore",
    "research": "explore",
    "exploration": "explore",
    "pilot": "explore",
    "trial": "explore",
    "trials": "explore",
    "support": "supported",
    "encouragement": "supported",
}
# Objects that make a light verb exploratory: "carry out pilot projects", "conduct research".
LIGHT_OBJECT_RE = re.compile(
    r"^(?:carry(?:ing)? out|launch(?:ing)?|conduct(?:ing)?|start(?:ing)?|undertak(?:e|ing)|implement(?:ing)?|"
    r"promot(?:e|ing)|expand(?:ing)?)\s+(?:(?:the|a|an|more|new)\s+)?(?:[\w-]+\s+){0,2}?"
    r"(pilots?|trials?|research|study|studies|exploration)\b",
    re.I,
)
FIND_WAYS_RE = re.compile(r"^find(?:ing)?\s+(?:\w+\s+)?ways\b", re.I)
# Frames that hand the clause to the verb after them: "Efforts will be made to explore ...".
FRAME_RE = re.compile(
    r"^(?:(?:we|it)\s+(?:shall|will|should|must)(?:,[^,]{1,40},)?\s+|"
    r"(?:efforts|attempts)\s+(?:will|shall|should)\s+be\s+made\s+to\s+|"
    r"priority\s+(?:is|will be|shall be)\s+given\s+to\s+|"
    r"(?:make|making)\s+(?:\w+\s+)?efforts\s+to\s+|"
    r"(?:continue|strive|work|move\s+faster|take\s+(?:\w+\s+)?(?:measures|moves|steps))\s+to\s+|"
    r"to\s+(?=[a-z]))",
    re.I,
)
# A leading adverbial phrase ending in a comma: "In the Tongzhou Cultural Tourism Zone, ...".
LEAD_RE = re.compile(
    r"^(?:in|under|based on|relying on|with regard to|for|except for|during|according to|on the basis of|"
    r"upon|with|by|after|as|through|to facilitate|in order to|following|taking|focusing on)\b[^,;]{0,200},\s*",
    re.I,
)
ADVERB_RE = re.compile(
    r"^(?:(?!(?:supply|apply|reply|family|italy)\b)(?:\w{3,}ly|further|also|still|first|then)\s+)+", re.I
)
# A cue word followed by one of these is a noun modifier, not a verb: "research institutions", "pilot zones".
MODIFIED_NOUN_RE = re.compile(
    r"^\s+(?:institutions?|institutes?|cent(?:er|re)s?|zones?|projects?|programs?|programmes?|period|services?|"
    r"bases?|systems?|polic(?:y|ies)|personnel|funds?|areas?|results?|experience|work|free|and development)\b",
    re.I,
)
AUX_RE = re.compile(r"\b(?:is|are|was|were|will|shall|may|can|should|must|be)\b", re.I)
PASSIVE_RE = re.compile(
    r"^(?:(?:is|are|will|shall|may|can|should|must)\s+)?(?:(?:to|not)\s+)?(?:be\s+)?(?:\w+ly\s+)?"
    r"(allowed|permitted|lifted|cancell?ed|removed|abolished|eliminated|exempted|relaxed|loosened|delegated|"
    r"granted|issued|supported|encouraged|explored|studied|researched|piloted|trialled|trialed)\b",
    re.I,
)
MODAL_RE = re.compile(r"^(may|can)\s+(?:be\s+)?(?:\w+ly\s+)?(\w+)", re.I)
OPEN_TO_FOREIGN_RE = re.compile(r"^open(?:ing)?\s+(?:up\s+)?(?:[^,;]{0,120}?)\bto\s+foreign\b", re.I)
RECEIVE_SUPPORT_RE = re.compile(r"^(?:will|shall)\s+receive\s+(?:\w+\s+){0,2}support\b", re.I)
RELATIVE_RE = re.compile(r"\b(?:that|which|who|whose|where)\b", re.I)
DETERMINERS = {"the", "a", "an", "this", "these", "such", "more", "further", "relevant", "new", "possible"}
TASK_NUMBER_RE = re.compile(r"^\d{1,2}\s*[.．]\s*")
ISSUED = "in_force"  # "will be issued visas ...": a grant to the subject
INTENDED_RE = re.compile(r"^(?:is|are)\s+to\s+be\b", re.I)  # "restrictions are to be lifted": not yet done
LATER_RE = re.compile(
    r"\b(?:at an appropriate time|in due course|when (?:the )?(?:conditions|time) (?:are|is) (?:ripe|right)|"
    r"when conditions permit)\b",
    re.I,
)


@dataclass(frozen=True)
class Status:
    label: str  # in_force | supported | explore | other
    cue: str  # the words that decided it, verbatim from the text ("" for other)


OTHER = Status("other", "")


def _lemma(word: str) -> str:
    """Base form of a cue verb, or the word lower-cased: 'allowing' -> 'allow', 'studies' -> 'study'."""
    w = word.lower()
    for lemma in VERB_CUES:
        if w == lemma or w in (
            lemma + "s",
            lemma + "es",
            lemma + "ed",
            lemma + "d",
            lemma + "ing",
            lemma[:-1] + "ing",
            lemma[:-1] + "ies",
            lemma[:-1] + "ied",
            lemma + lemma[-1] + "ed",
            lemma + lemma[-1] + "ing",
        ):
            return lemma
    return w


def _strip(clause: str) -> str:
    """Remove what stands before the governing verb: adverbial lead-ins, 'we shall', 'efforts will be made to'."""
    previous = None
    while previous != clause:
        previous = clause
        clause = LEAD_RE.sub("", clause, count=1) if clause.count(",") else clause
        clause = FRAME_RE.sub("", clause, count=1)
        clause = ADVERB_RE.sub("", clause, count=1)
        clause = re.sub(r"^(?:and|or|as well as|while)\s+", "", clause, flags=re.I)
    return clause


def _verb_status(clause: str) -> Status | None:
    """Status when the clause opens with its verb (imperative or 'we shall' clauses)."""
    m = LIGHT_OBJECT_RE.match(clause) or FIND_WAYS_RE.match(clause)
    if m:
        return Status("explore", clause[: m.end()])
    m = OPEN_TO_FOREIGN_RE.match(clause)
    if m:
        return Status("in_force", clause[: m.end()])
    word = re.match(r"[A-Za-z-]+", clause)
    if not word:
        return None
    lemma = _lemma(word.group(0))
    if lemma not in VERB_CUES or MODIFIED_NOUN_RE.match(clause[word.end() :]):
        return None
    return Status(VERB_CUES[lemma], word.group(0))


def _declarative_status(clause: str) -> Status | None:
    """Status of 'Subject aux verb ...' clauses, decided by the subject's head noun or the verb group."""
    # Each relative pronoun in the subject takes one auxiliary ("funds that are compliant may ...").
    for n, aux in enumerate(AUX_RE.finditer(clause)):
        if len(RELATIVE_RE.findall(clause[: aux.start()])) <= n:
            break
    else:
        return None
    if aux.start() == 0:
        return None
    subject = clause[: aux.start()]
    words = re.findall(r"[A-Za-z-]+", re.sub(r"\bresearch and development\b", "R-D", subject, flags=re.I))
    head = [w for w in words[:3] if w.lower() not in DETERMINERS][:2]
    for w in head:
        modifies = MODIFIED_NOUN_RE.match(subject[subject.find(w) + len(w) :])
        if w.lower() in NOUN_CUES and (w.lower() in ("pilot", "trial", "trials") or not modifies):
            return Status(NOUN_CUES[w.lower()], f"{subject.strip()} {aux.group(0)}"[:80])
    rest = clause[aux.start() :]
    m = PASSIVE_RE.match(rest)
    if m:
        verb = m.group(1).lower()
        return Status(ISSUED if verb == "issued" else VERB_CUES[_lemma(verb)], rest[: m.end()])
    m = RECEIVE_SUPPORT_RE.match(rest)
    if m:
        return Status("supported", rest[: m.end()])
    m = MODAL_RE.match(rest)
    if m:
        after = _lemma(m.group(2))
        if after in VERB_CUES:
            return Status(VERB_CUES[after], rest[: m.end()])
        return Status("in_force", rest[: m.end()])  # "X may/can do Y": a permission granted to X
    m = re.match(r"^(?:will|shall)\s+(\w+)", rest, re.I)
    if m and _lemma(m.group(1)) in VERB_CUES:
        return Status(VERB_CUES[_lemma(m.group(1))], rest[: m.end()])
    return None


def _main_clause_status(sentence: str) -> Status | None:
    clause = _strip(sentence.strip())
    return _verb_status(clause) or _declarative_status(clause)


def _sentences(paragraph_text: str, kind: str) -> list[str]:
    text = TASK_NUMBER_RE.sub("", paragraph_text.strip())
    sentences = [text[a:b] for a, b in split_sentences(text)] or [text]
    if len(sentences) > 1:
        lead = sentences[0]
        # A lead-in title: a task heading with no subject, or a gerund topic line ("Encouraging X.").
        if (kind == "task" and not re.search(r"\bwe\b", lead, re.I)) or (
            re.match(r"^[A-Z][a-z]+ing\b", lead) and not AUX_RE.search(lead)
        ):
            sentences = sentences[1:]
    return sentences


def tag(text: str, kind: str = "measure") -> Status:
    """Status of a measure's text, decided by the governing verb of its main clause."""
    sentence = _sentences(text, kind)[0]
    found = _main_clause_status(sentence)
    if found is None:
        return OTHER
    cue = found.cue.strip(" ,;")
    if found.label == "in_force" and INTENDED_RE.match(cue):
        return Status("explore", cue)
    if found.label == "in_force" and (later := LATER_RE.search(sentence)):
        return Status("explore", f"{cue} … {later.group(0)}")
    return Status(found.label, cue)


_cache: dict[tuple[str, str], Status] = {}


def status_of(paragraph: Paragraph) -> Status:
    """`tag` of a paragraph, cached per paragraph id (and text, so a changed corpus is re-read)."""
    key = (paragraph.id, paragraph.text)
    if key not in _cache:
        _cache[key] = tag(paragraph.text, paragraph.kind)
    return _cache[key]


def is_measure(paragraph: Paragraph, document: Document) -> bool:
    """Measure paragraphs; a task paragraph is one when its document lists no separate measures (inline tasks)."""
    if paragraph.kind == "measure":
        return True
    return paragraph.kind == "task" and not any(p.kind == "measure" for p in document.paragraphs)
