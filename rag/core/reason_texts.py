"""The sentences that say why a document governs (rag.analysis.governs), per language.

rag.core.language merges these into its one catalog (TEXTS), and a `Phrase` names one with its values, so a
reason is built once and read in the page's language. Document ids and numbers stay as values: the page's namer
turns them into names in that language. Every language has every key (tests/test_governs.py checks).
"""

from __future__ import annotations

REASON_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "gov_translation": "{official} is the official translation; {source} carries the same number ({number}) "
        "and is {standing}: cite {official}.",
        "gov_other_translation": "{doc} is another translation of {of}; cite {of}.",
        "gov_official": "official",
        "gov_unofficial": "unofficial",
        "gov_stated_by": "Stated by {source} itself: {relations}.",
        "gov_rel_prevails_over": "{source} prevails over {target}",
        "gov_rel_keeps_in_force": "{source} keeps in force {target}",
        "gov_rel_implements": "{source} implements {target}",
        "gov_rel_same_document_as": "{source} same document as {target}",
        "gov_rel_other": "{source} {relation} {target}",  # a relation type the catalog does not name
        "gov_kept": "{lead} keeps {other} in force and prevails where they are inconsistent",
        "gov_prevails_where": "{source} prevails over {target} where they are inconsistent",
        "gov_no_precedence": "The texts state no precedence between {lead} and {other}{later}.",
        "gov_later": "; {doc} is dated later ({year}), which is a date, not a stated rule",
        "gov_alone": "No provision of another document matched this one closely enough to count as the same "
        "measure; {rest}",
        "gov_kept_only": "{source} keeps {target} in force and prevails only where they are inconsistent.",
        "gov_sentence": "{text}.",
        "gov_prevails_earlier": "{doc} prevails over the earlier replies where they are inconsistent.",
        "gov_no_relation": "the texts state no relation between {doc} and the other documents.",
        "gov_governs": "{lead} governs: {note}.",
        "gov_asked": "{lead} is the document asked about: {note}.",
        "gov_closest": "{lead} is the closest match. {notes}",
        "gov_keeper": "{first} {keeper} keeps {lead} in force and prevails where they are inconsistent ({pid}); "
        "no different rule on this measure was found in {keeper}.",
        "gov_and": "{first}; {second}",  # how a list of phrases is joined
        "gov_then": "{first} {second}",
    },
    "zh": {
        "gov_translation": "{official}为官方译本；{source}文号相同（{number}），为{standing}：请引用{official}。",
        "gov_other_translation": "{doc}是{of}的另一译本；请引用{of}。",
        "gov_official": "官方译本",
        "gov_unofficial": "非官方译本",
        "gov_stated_by": "由{source}本身明确规定：{relations}。",
        "gov_rel_prevails_over": "{source}优先于{target}",
        "gov_rel_keeps_in_force": "{source}保持{target}继续有效",
        "gov_rel_implements": "{source}落实{target}",
        "gov_rel_same_document_as": "{source}与{target}为同一文件",
        "gov_rel_other": "{source} {relation} {target}",
        "gov_kept": "{lead}保持{other}继续有效，二者不一致时以前者为准",
        "gov_prevails_where": "二者不一致时，{source}优先于{target}",
        "gov_no_precedence": "文件未规定{lead}与{other}之间的优先顺序{later}。",
        "gov_later": "；{doc}的日期较晚（{year}年），这只是日期，并非文件规定的规则",
        "gov_alone": "其他文件中没有足够接近、可视为同一措施的条款；{rest}",
        "gov_kept_only": "{source}保持{target}继续有效，仅在二者不一致时以前者为准。",
        "gov_sentence": "{text}。",
        "gov_prevails_earlier": "二者不一致时，{doc}优先于此前的批复。",
        "gov_no_relation": "文件未规定{doc}与其他文件之间的关系。",
        "gov_governs": "以{lead}为准：{note}。",
        "gov_asked": "{lead}为所问的文件：{note}。",
        "gov_closest": "{lead}最为接近。{notes}",
        "gov_keeper": "{first}{keeper}保持{lead}继续有效，二者不一致时以前者为准（{pid}）；"
        "{keeper}中未发现关于该措施的不同规定。",
        "gov_and": "{first}；{second}",
        "gov_then": "{first}{second}",
    },
}
