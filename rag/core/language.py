"""The asker's language: detection, and every fixed text a user sees, per language.

Detection is a script count, not a model: a question whose letters are at least
`CJK_SHARE` Chinese characters is Chinese ("zh"), anything else English ("en").
Investor questions in Chinese often carry Latin shorthand (WFOE, VPN, 50%), so the
share is of letters, not of all characters, and the bar is under one half (0.3: "What is 国函 No. 123?" stays English).
Kana (with or without kanji) at that share is Japanese ("ja"), not Chinese; a question written mostly in
another script (Cyrillic, Arabic, Hangul, Greek, Hebrew, Thai, Devanagari...) is that language. Only
English and Chinese are answered (SUPPORTED); any other language gets `unsupported_line`. A language
written in Latin letters (French, Spanish...) reads as English: the script cannot tell them apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from rag.core.page_texts import PAGE_TEXTS
from rag.core.reason_texts import REASON_TEXTS

DEFAULT = "en"
CJK_SHARE = 0.3
_CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # a Chinese character
_CJK_RE = re.compile(_CJK)
CJK_RUN_RE = re.compile(f"{_CJK}+")  # a Chinese word or phrase
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f]")
_KANA_RE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")  # hiragana, katakana (full and half width)
# Scripts of languages the assistant does not answer: code -> letters of that script.
_OTHER_SCRIPTS = {
    "ko": re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "ar": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
    "el": re.compile(r"[\u0370-\u03ff]"),
    "he": re.compile(r"[\u0590-\u05ff]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "hi": re.compile(r"[\u0900-\u097f]"),
}
SUPPORTED = ("en", "zh")  # the languages questions are answered in
LANGUAGE_NAMES = {"ja": "Japanese", "ko": "Korean", "ru": "Russian (or another Cyrillic-script language)"} | {
    "ar": "Arabic (or another Arabic-script language)", "el": "Greek", "he": "Hebrew", "th": "Thai", "hi": "Hindi",
}  # fmt: skip

# How the language is named to the model ("Write in ...").
NAMES = {"en": "English", "zh": "Simplified Chinese (简体中文)"}

# One catalog of user-visible fixed texts; every language has every key (a test checks).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "refusal": "The documents do not say.",
        "nearest": "Nearest passages: {passages}.",
        "task": "{doc}, Task {task}",
        "no_passage": "No passage came close.",
        "searched_for": "Searched for: {question}",
        "translation": "Translation",
        "translated": "Translated by the language model from the checked English answer; "
        "the quoted sources are the documents' own English words.",
        "untranslated": "The translation could not be checked against the English answer, "
        "so the checked English answer is shown.",
        "checked_english": "The checked English answer",
        "quoted_english": "No summary could be written; the documents' own English words are quoted.",
        "quoted_source": "The words in quotation marks are the documents' own English.",
        "not_translated": "The question could not be translated for the search; "
        "only the multilingual index was searched.",
        "why_refused": "Not answered because {reason}.",
        "no_close_passage": "no passage is close to the question",
        "not_about": "the passages do not concern {names}",
        "no_figure": "the passages state no figure of the kind asked for",
        "model_judged": "the language model read the closest passages as not answering it",
        # Reader's words: no backend or setting names (the technical reason goes to the log).
        "model_failed": "The language model could not answer this time, so the documents' exact words are shown "
        "instead of a summary.",
        "lead_dropped": "The summary could not be checked against the documents, so only their exact words are shown.",
        "instructions_ignored": "Instructions in the question were ignored; only the question about the documents "
        "was answered.",
        # The verdict that opens the answer to a yes-or-no question (rag.answer.verdict), before the decisive clause.
        "verdict_yes": "Yes:",
        "verdict_yes_conditions": "Yes, with conditions:",
        "verdict_no": "No:",
        "verdict_not_yet": "Not yet, planned or to be explored:",
        "verdict_not_said": "The documents do not say.",
    },
    "zh": {
        "refusal": "文件中没有相关规定。",
        "nearest": "最接近的段落：{passages}。",
        "task": "{doc} 第{task}项任务",
        "no_passage": "没有找到相近的段落。",
        "searched_for": "检索内容：{question}",
        "translation": "译文",
        "translated": "以下答案由语言模型根据已核对的英文答案翻译；引用的来源为文件英文原文。",
        "untranslated": "译文无法与英文答案核对一致，因此显示已核对的英文答案。",
        "checked_english": "已核对的英文答案",
        "quoted_english": "未能生成摘要；以下引用的是文件英文原文。",
        "quoted_source": "引号中的文字为文件英文原文。",
        "not_translated": "问题未能翻译成英文，仅检索了多语言索引。",
        "why_refused": "未作回答，因为{reason}。",
        "no_close_passage": "没有与问题相近的段落",
        "not_about": "相关段落不涉及{names}",
        "no_figure": "相关段落未写明所问的数字",
        "model_judged": "语言模型判断最接近的段落不能回答该问题",
        "model_failed": "语言模型此次未能作答，因此显示文件原文，而非摘要。",
        "lead_dropped": "摘要未能与文件核对一致，因此仅显示文件原文。",
        "instructions_ignored": "问题中的指令已被忽略，仅回答了关于文件的问题。",
        "verdict_yes": "是：",
        "verdict_yes_conditions": "是，但有条件：",
        "verdict_no": "否：",
        "verdict_not_yet": "尚未：仅为计划或有待探索：",
        "verdict_not_said": "文件没有说明。",
    },
}


# The web pages' fixed texts (headings, buttons, notices, status labels) join the same catalog.
ANSWER_KEYS = {language: frozenset(texts) for language, texts in TEXTS.items()}
for _extra in (PAGE_TEXTS, REASON_TEXTS):
    for _language, _texts in _extra.items():
        TEXTS[_language] = TEXTS[_language] | _texts
LANGUAGES = tuple(TEXTS)


def cjk_count(text: str) -> int:
    """How many Chinese characters `text` holds."""
    return len(_CJK_RE.findall(text))


def detect(text: str) -> str:
    """'zh' when Chinese characters make up at least CJK_SHARE of the letters ('ja' when kana are among them);
    the code of another script when its letters outnumber the Latin ones; else 'en'."""
    cjk, kana = cjk_count(text), len(_KANA_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    counts = {code: len(pattern.findall(text)) for code, pattern in _OTHER_SCRIPTS.items()}
    letters = cjk + kana + latin + sum(counts.values())
    if kana and (cjk + kana) / letters >= CJK_SHARE:
        return "ja"
    if cjk and cjk / letters >= CJK_SHARE:
        return "zh"
    code, most = max(counts.items(), key=lambda kv: kv[1])
    return code if most > latin else DEFAULT


def unsupported_line(language: str) -> str:
    """One line, in English, for a question in a language the assistant does not answer."""
    named = LANGUAGE_NAMES.get(language, "this language")
    return f"Questions in {named} are not supported: only English and Chinese (中文) are answered; please ask again in one of them."


def supported(language: str) -> str:
    """The language if the catalog has it, else the default."""
    return language if language in TEXTS else DEFAULT


def say(key: str, language: str, **values: str) -> str:
    """The fixed text `key` in `language` (the default language's when that one is missing)."""
    return TEXTS[supported(language)][key].format(**values)


def name(language: str) -> str:
    return NAMES[supported(language)]


@dataclass(frozen=True)
class Phrase:
    """A catalog sentence and its values, read in any language: a value is a string, another Phrase, or a tuple of
    them, joined pairwise by the catalog's `join` sentence ("{first}; {second}" in English, "{first}；{second}")."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)
    join: str = "gov_and"

    def say(self, language: str = DEFAULT) -> str:
        def text(value: Any) -> str:
            if isinstance(value, Phrase):
                return value.say(language)
            if isinstance(value, tuple):
                return reduce(lambda a, b: say(self.join, language, first=a, second=b), map(text, value))
            return str(value)

        return say(self.key, language, **{k: text(v) for k, v in self.values.items()})
