"""Questions and answers in the asker's language, over English documents.

A question not in English is translated into English by the language model (the
search and the citation check work on English), and is also searched in its own
words in the multilingual index (rag.retrieve). The answer is written and checked
in English. Its opening is then the verdict line (the catalog's words and the
source's quoted clause: nothing translated, and the model's paraphrase after it
left out), else the answering sentence translated into the asker's language (the
source's words, one step from them), or the model's lead where the verdict waited
on the model and none was shown; settings.translate_model_lead translates the
model's lead wherever there is one, as before. The translation is kept
only when it carries the same citation markers and the same figures as the checked
English answer; it is labelled as a translation (Answer.translated_from keeps the
checked English), and the quoted sources stay the documents' own English words.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Protocol

from rag.answer import model_files
from rag.answer.llama import fixed_prefix, load_llama, prepare
from rag.answer.support import Claim, split_answer
from rag.core.glossary import NAME_TRANSLATIONS, known_names, proper_names
from rag.core.language import CJK_RUN_RE, DEFAULT, detect, name, say
from rag.core.settings import Settings
from rag.core.terms import CHINESE_TERMS, TERMS
from rag.core.text import MARKER_RE, markers
from rag.core.types import Answer


class Complete(Protocol):
    """(system, user, max_tokens) -> the model's text, or None when no model could answer. `shots`: example turns
    (a user's message, the reply wanted) before `user`. The local model evaluates the system message and the shots
    once and keeps them."""

    def __call__(
        self, system: str, user: str, max_tokens: int, shots: tuple[tuple[str, str], ...] = ()
    ) -> str | None: ...


QUESTION_SYSTEM = (
    "Translate the user's question about Chinese government policy into English. Keep names, numbers and "
    "abbreviations. Use the English terms given. Write only the English question."
)
TERM_SYSTEM = "Translate the Chinese term into English. Write only the English term."
# A neutral example: one with a policy subject leaks into translations of other questions (measured:
# a law-firm example turned "one-stop service for foreign investors" into one for foreign law firms).
QUESTION_EXAMPLE = ("这项措施什么时候开始实施？", "When does this measure take effect?")
ANSWER_SYSTEM = (
    "Translate the text into {language}. Copy numbers, percentages and document names exactly. "
    "Write only the translation."
)


def local_complete(settings: Settings) -> Complete:
    """`complete` over the local GGUF (the process-wide Llama the local backend also uses)."""

    def complete(system: str, user: str, max_tokens: int, shots: tuple[tuple[str, str], ...] = ()) -> str | None:
        try:
            path = str(model_files.ensure_model(settings))
            # the same key as the local backend's, so the process holds one copy of the model
            llama, lock = load_llama(path, settings.n_ctx, settings.n_threads, settings.n_batch)
        except Exception:  # any load failure: answer without the model's help
            return None
        if not lock.acquire(timeout=settings.llm_timeout_s):
            return None
        try:
            turns = [
                {"role": role, "content": text} for shot in shots for role, text in zip(("user", "assistant"), shot)
            ]
            messages = [{"role": "system", "content": system}, *turns, {"role": "user", "content": user}]
            # no KV state from an earlier call but the fixed prefix evaluated alone, as before each answer
            prepare(llama, settings.n_threads, prefix=fixed_prefix(llama, messages))
            out = llama.create_chat_completion(
                messages=messages,
                temperature=0.0,
                max_tokens=max_tokens,
                seed=0,
            )
            return (out["choices"][0]["message"]["content"] or "").strip() or None
        except Exception:  # a failed helper call must not fail the answer
            return None
        finally:
            lock.release()

    return complete


def helper_model(settings: Settings) -> Complete | None:
    """The model that translates and rewrites (settings.language_model), or None when turned off."""
    if settings.language_model == "local":
        return local_complete(settings)
    return None


def _with_terms(text: str, terms: list[tuple[str, str]]) -> str:
    """`text` after a line that gives the documents' words for the terms it holds ("Terms: 外资 = foreign investment")."""
    return f"Terms: {'; '.join(f'{a} = {b}' for a, b in terms)}\n{text}" if terms else text


def _gave_terms_back(out: str, text: str) -> bool:
    """Whether the model's reply to `text` repeats the terms line instead of translating ("外汇 = 外汇 [2].")."""
    return "=" in out and "=" not in text


def translate_question(question: str, complete: Complete, settings: Settings) -> str | None:
    """The question in English, or None when the model gave no usable English.

    The example is an earlier turn of the chat, not text of the question's message: written into that message, its
    English leaked into the translation (measured: 5 of the 62 answerable Chinese questions of `dev` came back opening with it or a variant,
    "When did this measure take effect? ...", which the search then read). A model that only repeats the example's
    English is asked again without it. A Chinese phrase the model left in its English (e.g. "invest in
    Beijing的职业技能培训 schools") is translated on its own (by `TERMS` where it is one) and put in its place, for
    settings.term_rounds rounds (a term can come back half translated: "Online shopping in保税 territory")."""
    user = _with_terms(question, [(zh, en) for zh, en in TERMS.items() if zh in question])
    english = ""
    for shots in ((QUESTION_EXAMPLE,), ()):
        out = complete(QUESTION_SYSTEM, user, settings.rewrite_max_tokens, shots=shots)
        english = " ".join((out or "").split("\n")[0].replace(QUESTION_EXAMPLE[1], "").split()).strip("\"'")
        if english and not _gave_terms_back(english, question):
            break
        english = ""
    if not english or detect(english) != DEFAULT:
        return None
    for _ in range(settings.term_rounds):
        before = english
        for phrase in dict.fromkeys(CJK_RUN_RE.findall(english)):
            term = TERMS.get(phrase) or (complete(TERM_SYSTEM, phrase, settings.rewrite_max_tokens) or "")
            term = term.split("\n")[0].strip(" .\"'")
            english = re.sub(rf"\s*{re.escape(phrase)}\s*", f" {term} ", english).strip() if term else english
        if english == before:  # nothing left, or the model gave the same Chinese back: asking again changes nothing
            break
    if CJK_RUN_RE.search(english):
        return None
    return re.sub(r"\s+(?=[?.,])", "", english)


_SCALES = {"million": 10**6, "billion": 10**9, "万": 10**4, "亿": 10**8}
_AMOUNT_RE = re.compile(r"(\d+(?:[.,]\d+)*)\s*(million|billion|万|亿)?", re.I)


def _figures(text: str) -> set[float]:
    """The numbers `text` states, scaled by their unit word (20 million = 2000万), citation markers left out."""
    stripped = MARKER_RE.sub(" ", text)
    return {
        float(n.replace(",", "")) * _SCALES.get((unit or "").lower(), 1) for n, unit in _AMOUNT_RE.findall(stripped)
    }


def faithful(translation: str, english: str) -> bool:
    """Same citation markers and no figure that the English lacks (a translation may not add or drop a source)."""
    same_markers = sorted(n for _, n in markers(translation)) == sorted(n for _, n in markers(english))
    return bool(translation.strip()) and same_markers and _figures(translation) <= _figures(english)


def _placeholder(i: int) -> str:
    return f"X{i + 1}X"


def translate_answer(
    text: str, language: str, complete: Complete, settings: Settings, ids: tuple[str, ...] = ()
) -> str | None:
    """The checked English sentence in `language`, or None when the translation is unusable.

    The model translates the words alone and the citation markers are put back at the end: a 1.5B model drops
    them (measured: 10 of 10 Chinese translations of cited sentences came back without their marker). Names
    (rag.core.glossary.proper_names) reach the model as placeholders and come back in the documents' words, or in
    their fixed form of NAME_TRANSLATIONS, and so do the document `ids` the text names ("plan-2023" came back as
    "计划2023", which no reader's page can link); a translation that loses a placeholder is not used.
    """
    cited = tuple(dict.fromkeys(n for _, n in markers(text)))
    # kept verbatim: the model reads a placeholder for each, put back afterwards
    found = [i for i in ids if re.search(r"\d", i) and re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]
    # an id with a digit ("plan-2023"): a plain word ("plan") is translated. A name is masked whole, longest first,
    # and a name inside a longer one is not masked again ("Zhongguancun" in a park's committee)
    longest = sorted(dict.fromkeys(known_names(text, language) + proper_names(text)), key=len, reverse=True)
    names = found + [n for i, n in enumerate(longest) if not any(n in longer for longer in longest[:i])]
    masked = MARKER_RE.sub("", text).strip()
    for i, n in enumerate(names):
        masked = masked.replace(n, _placeholder(i))
    found = [en for en in CHINESE_TERMS if re.search(rf"\b{re.escape(en)}\b", masked, re.I)] if language == "zh" else []
    found.sort(key=len, reverse=True)  # "cross-border e-commerce" before "cross-border"
    user = _with_terms(masked, [(en, CHINESE_TERMS[en]) for en in found])
    out = complete(ANSWER_SYSTEM.format(language=name(language)), user, settings.translation_max_tokens)
    if not out or detect(out) != language or _gave_terms_back(out, masked):
        return None
    plain = MARKER_RE.sub("", out).strip()
    for en in found:  # a term the model still left in English
        plain = re.sub(rf"\s*(?<![A-Za-z-]){re.escape(en)}(?![A-Za-z-])\s*", CHINESE_TERMS[en], plain, flags=re.I)
    for i, n in enumerate(names):
        if plain.count(_placeholder(i)) != masked.count(_placeholder(i)):
            return None  # a name was dropped, doubled or rendered by the model
        plain = plain.replace(_placeholder(i), NAME_TRANSLATIONS.get(language, {}).get(n, n))
    translation = Claim(plain, cited).marked() if cited else plain
    return translation if faithful(translation, text) else None


def _join(*notices: str | None) -> str | None:
    return " ".join(n for n in notices if n) or None


def refusal_text(answer: Answer, language: str) -> str:
    """The refusal in `language`, naming the nearest passages by document and task (titles stay English, so
    they are left out)."""
    places = [
        say("task", language, doc=ev.chunk.doc_id, task=ev.chunk.task) if ev.chunk.task else ev.chunk.doc_id
        for ev in answer.evidence
    ]
    nearest = list(dict.fromkeys(places))[:3]
    tail = say("nearest", language, passages="; ".join(nearest)) if nearest else say("no_passage", language)
    return f"{say('refusal', language)}{tail}"


def localize(answer: Answer, language: str, complete: Complete | None, settings: Settings) -> Answer:
    """The checked answer in the asker's language: a refusal in its fixed words, an answer translated and marked."""
    if language == DEFAULT:
        return answer
    if answer.refused:
        return replace(answer, text=refusal_text(answer, language))
    # The answering sentence (Answer.answering: the departments line of a who-question, else the quote that states
    # the measure asked about) is translated and opens the answer as a marked translation, or, with
    # settings.translate_model_lead, the model's checked lead is. The quotes themselves stay the documents' own
    # English words. A verdict's fixed words come from the catalog, never from the model (opening.bottom_line).
    lead = answer.lead if answer.lead and answer.text.startswith(answer.lead) else ""
    phrase = say(f"verdict_{answer.verdict}", DEFAULT) if answer.verdict else ""
    phrase = phrase if phrase and lead.startswith(phrase) else ""
    local_phrase = say(f"verdict_{answer.verdict}", language) if phrase else ""
    body = lead[len(phrase) :].strip()
    # The verdict's decisive clause is the source's own words in quotation marks: it stays verbatim, as every quote
    # does (a translation inside them would be a misquote).
    quoted = f"{answer.decisive}." if local_phrase and answer.decisive and body.startswith(answer.decisive) else ""
    # The model's own words after a verdict line are an English paraphrase of the source: translated, they are a
    # paraphrase of a paraphrase (where names came back garbled), so only settings.translate_model_lead shows them.
    own = body[len(quoted) :].strip() if settings.translate_model_lead or not quoted else ""
    sentence = answer.answering or (split_answer(answer.text)[0].marked() if answer.text.strip() else "")
    source = own or ("" if lead else sentence)
    rest = answer.text[len(lead) :].lstrip()
    if quoted and not own:  # the verdict line alone: the catalog's words and the source's, nothing to translate
        opening = f"{local_phrase} {quoted}"
        notice = _join(say("quoted_source", language), answer.notice)
        return replace(answer, text=f"{opening} {rest}".strip(), lead=opening, notice=notice)
    ids = tuple(dict.fromkeys(ev.paragraph.doc_id for ev in answer.evidence))
    translated = translate_answer(source, language, complete, settings, ids) if complete and source else None
    if translated is None:
        if local_phrase:
            opening = f"{local_phrase} {body}"
            answer = replace(answer, text=opening + answer.text[len(lead) :], lead=opening)
        return replace(answer, notice=_join(say("untranslated" if lead else "quoted_english", language), answer.notice))
    if quoted:
        opening = f"{local_phrase} {quoted} {translated}"
    else:
        opening = f"{local_phrase}{translated}" if local_phrase else translated
    return replace(
        answer,
        text=f"{opening} {rest}".strip(),
        lead=opening,
        translated_from=answer.text,
        notice=_join(say("translated", language), answer.notice),
    )
