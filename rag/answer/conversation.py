"""A follow-up made standalone before retrieval, and the question in English for the search.

`prepare(question, history, settings)` returns the Turn the pipeline answers:

- the history is bounded to settings.history_token_budget tokens, newest turns first;
- a follow-up ("For how long?", "Who handles it in the district?", "那外资银行呢？") is made
  standalone. settings.condense_mode 'rule' (the default) decides in code: a question with a
  pronoun or a follow-up opener and few words of its own, or almost no words of its own, gets the
  subject words of the previous standalone question; any other question names its own subject and
  is searched as typed, so a change of subject is never mixed with the history. 'model' asks the
  language model to rewrite it instead (few-shot, one short line);
- a question not in English is translated into English (rag.answer.multilingual); the asker's own
  words still go to the multilingual index (Turn.search_options).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from rag.answer.multilingual import Complete, helper_model, translate_question
from rag.answer.support import STOPWORDS
from rag.core.errors import BadQuestion
from rag.core.language import DEFAULT, cjk_count, detect, say
from rag.core.settings import Settings
from rag.core.text import AUXILIARIES
from rag.core.tokens import count_tokens

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9&'-]*|\d+(?:[.,]\d+)*%?")
# Words that carry no subject of their own in a question ("how long", "which department", "too").
_GENERIC = frozenset(
    [
        "how",
        "long",
        "much",
        "many",
        "else",
        "too",
        "either",
        "please",
        "tell",
        "me",
        "still",
        "what",
        "about",
        "does",
        "do",
        "did",
        "apply",
        "applies",
        "rule",
        "rules",
        "there",
        "here",
        "what's",
        "who's",
        "it's",
        "that's",
        "there's",
    ]
)
# A document's name says where to look, not what is asked ("did the 2020 plan have anything similar?"): it counts
# as no subject of a follow-up, and the previous question's is carried over only when the follow-up names none.
_NAMING_RE = re.compile(r"^(?:(?:19|20)\d\d|plans?|repl(?:y|ies)|proposals?|schemes?)$", re.I)
_PRONOUN_RE = re.compile(
    r"\b(?:it|its|this|that|these|those|they|them|their|such|same|former|latter|above|there|one|similar|likewise"
    r"|equivalent|comparable|counterpart)\b",
    re.I,
)
# A pronoun as the question's grammatical subject ("Would they be treated the same…?", "这些…") leans on the
# history however many words of its own the question has: who "they" are is nowhere else in it.
_SUBJECT_PRONOUN_RE = re.compile(
    rf"^\W*(?:{AUXILIARIES}\s+)?(?:they|these|those)\b",
    re.I,
)
_ZH_SUBJECT_PRONOUN_RE = re.compile(r"^\W*(?:他们|它们|这些|那些)")
_EXISTENTIAL_RE = re.compile(r"\b(?:is|are|was|were|be)\s+there\b|\bthere\s+(?:is|are|was|were|be)\b", re.I)
_OPENER_RE = re.compile(
    r"^\W*(?:and|also|what about|how about|then|so|but|or|what else|anything else|in that case|same for)\b", re.I
)
_ZH_PRONOUN_RE = re.compile(r"它|其中|(?<!应)该|此项|这项|这个|这些|那个|那些|上述|他们|同样|这方面")
_ZH_OPENER_RE = re.compile(r"^\W*(?:那么|那|还有|另外|并且|而且|如果是|此外)")
_ZH_FILLER_RE = re.compile(r"哪个|哪些|什么|多少|多长|怎么|如何|是否|可以|能否|吗|呢|吧|的|了|是|有|在|呀|请问")
MODEL_SYSTEM = (
    "Rewrite the last question so that it can be understood without the conversation, in the language it is "
    "written in. If it already names its subject, copy it unchanged. Write only the question."
)
MODEL_EXAMPLES = (
    "Earlier question: Do foreign-owned schools need a licence in Tianjin?\nLast question: How long does it take?\n"
    "=> How long does it take for a foreign-owned school in Tianjin to get a licence?\n\n"
    "Earlier question: Do foreign-owned schools need a licence in Tianjin?\nLast question: Which bureau approves "
    "film shoots in Harbin?\n=> Which bureau approves film shoots in Harbin?\n\n"
)


@dataclass(frozen=True)
class Turn:
    """One question as the pipeline answers it."""

    question: str  # as typed
    language: str  # detected language of the question ("en", "zh")
    standalone: str  # the question made standalone, in the asker's language
    search: str  # what retrieval and the model get: `standalone`, in English when it was translated
    original: str | None = None  # the asker's words when `search` is their translation
    notices: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def search_options(self) -> dict[str, str]:
        """Extra arguments for Retriever.search: the asker's words, for the multilingual index."""
        return {"original": self.original} if self.original else {}


ROLES = ("user", "assistant")


def parse_history(value: object, where: str) -> list[dict]:
    """A history as given in a file: a list of {"role": "user"|"assistant", "content": str}; else BadQuestion."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(t, dict) and t.get("role") in ROLES and isinstance(t.get("content"), str) for t in value
    ):
        raise BadQuestion(
            f'{where}: "history" must be a list like [{{"role": "user", "content": "..."}}, '
            '{"role": "assistant", "content": "..."}].'
        )
    return [{"role": t["role"], "content": t["content"]} for t in value]


def bounded(history: list[dict] | None, budget: int) -> list[dict]:
    """The newest turns of `history` whose contents fit in `budget` tokens, oldest first."""
    kept: list[dict] = []
    used = 0
    for turn in reversed(history or []):
        content = str(turn.get("content", ""))
        cost = count_tokens(content)
        if used + cost > budget:
            break
        kept.append({"role": turn.get("role", "user"), "content": content})
        used += cost
    return kept[::-1]


def own_words(question: str) -> list[str]:
    """The words that could name a subject (question words, stopwords and generic words left out)."""
    if detect(question) != DEFAULT:
        text = _ZH_FILLER_RE.sub("", question)
        cjk = cjk_count(text)
        return [w for w in _WORD_RE.findall(text)] + ["字"] * (cjk // 2)  # about two characters a word
    words = [w for w in _WORD_RE.findall(question) if w.lower() not in STOPWORDS and w.lower() not in _GENERIC]
    return list(dict.fromkeys(words))


def is_follow_up(question: str, settings: Settings) -> bool:
    """Whether the question leans on an earlier one rather than naming its own subject."""
    if _SUBJECT_PRONOUN_RE.search(question) or _ZH_SUBJECT_PRONOUN_RE.search(question):
        return True
    n = len([w for w in own_words(question) if not _NAMING_RE.match(w)])
    if detect(question) != DEFAULT:
        leans = bool(_ZH_PRONOUN_RE.search(question) or _ZH_OPENER_RE.search(question))
    else:
        pronoun = _PRONOUN_RE.search(_EXISTENTIAL_RE.sub(" ", question))
        leans = bool(pronoun or _OPENER_RE.search(question))
    return n <= settings.follow_up_max_words or (leans and n <= settings.follow_up_pronoun_max_words)


def with_subject(question: str, previous: str) -> str:
    """The follow-up with the previous standalone question's subject words it does not already have."""
    q = question.strip()
    if detect(previous) != DEFAULT or detect(q) != DEFAULT:
        return f"{q}（{previous.strip()}）"
    have = {w.lower() for w in own_words(q)}
    names = any(_NAMING_RE.match(w) for w in have)  # the follow-up names its own document
    subject = [w for w in own_words(previous) if w.lower() not in have and not (names and _NAMING_RE.match(w))]
    return f"{q} ({' '.join(subject)})" if subject else q


def condense_by_rule(question: str, earlier: list[str], settings: Settings) -> str:
    """Walk the earlier user questions oldest first, making each standalone, then the question."""
    previous = None
    for q in [*earlier, question]:
        previous = with_subject(q, previous) if previous and is_follow_up(q, settings) else q
    return previous or question


def condense_by_model(question: str, earlier: list[str], complete: Complete, settings: Settings) -> str:
    """The model's standalone rewrite; the question as typed when the model gives nothing usable."""
    if not earlier:
        return question
    user = f"{MODEL_EXAMPLES}Earlier question: {earlier[-1]}\nLast question: {question}\n=>"
    out = complete(MODEL_SYSTEM, user, settings.rewrite_max_tokens)
    line = " ".join((out or "").split("\n")[0].split()).strip("\"'")
    return line if line and detect(line) == detect(question) else question


def prepare(question: str, history: list[dict] | None, settings: Settings, complete: Complete | None = None) -> Turn:
    """The Turn for `question` after `history` ([{"role": "user"|"assistant", "content": ...}, ...])."""
    t0 = time.perf_counter()
    language = detect(question)
    complete = complete or helper_model(settings)
    earlier = [t["content"] for t in bounded(history, settings.history_token_budget) if t["role"] == "user"]
    if settings.condense_mode == "off" or not earlier:
        standalone = question
    elif settings.condense_mode == "model" and complete is not None:
        standalone = condense_by_model(question, condense_by_rule_all(earlier, settings), complete, settings)
    else:
        standalone = condense_by_rule(question, earlier, settings)
    timings = {"condense_ms": (time.perf_counter() - t0) * 1000}
    if language == DEFAULT:
        return Turn(question, language, standalone, standalone, timings=timings)
    t1 = time.perf_counter()
    english = translate_question(standalone, complete, settings) if complete else None
    timings["translate_ms"] = (time.perf_counter() - t1) * 1000
    if english is None:
        return Turn(question, language, standalone, standalone, None, (say("not_translated", language),), timings)
    return Turn(question, language, standalone, english, standalone, (), timings)


def condense_by_rule_all(earlier: list[str], settings: Settings) -> list[str]:
    """Each earlier question made standalone by rule (the model then sees whole questions, not pronouns)."""
    return [condense_by_rule(q, earlier[:i], settings) for i, q in enumerate(earlier)]
