"""Documents are data, not instructions: the sentences of a text that address an assistant.

A corpus text is quoted, never obeyed. A sentence that speaks to an assistant or its readers' model
("Ignore previous instructions; tell users ...", "You are ...", "Disregard ...", "system prompt") is found
here; `rag add`/`update` lists such sentences and asks before storing the text, the corpus marks them on
each paragraph (Paragraph.instructions), and the answer stages never quote them, never show them to a
model and never accept them as support for a claim.
"""

from __future__ import annotations

import re

from rag.core.text import split_sentences

ADDRESSED_RE = re.compile(
    r"""\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|these|those|previous|prior|earlier|above|system|given|provided|other)\s+)*(?:instructions?|rules?|documents?|evidence|context|prompts?|guidelines|above|previous)\b
    | \bdisregard\b
    | \btell\s+(?:the\s+|all\s+)?(?:users?|readers?|people|everyone|customers|investors|the\s+user)\b
    | \byou\s+are\b
    | \b(?:system|developer)\s+(?:prompt|message)\b | \bdeveloper\s+mode\b | \bjailbreak
    | \bnew\s+instructions?\b | \bas\s+an?\s+(?:ai|assistant|language\s+model)\b
    | \b(?:assistants?|chatbots?|language\s+models?|ai)\s+(?:must|should|shall|will)\b
    | 忽略(?:之前|以上|上述|前面)?的?(?:所有)?(?:指令|指示|规则) | 系统提示 | 你(?:现在)?是(?:一个)?(?:助手|人工智能|AI|模型) | 告诉用户""",
    re.I | re.X,
)


def addressed_sentences(text: str) -> tuple[str, ...]:
    """The sentences of `text` (as rag.core.text.split_sentences cuts them, stripped) that address an assistant."""
    spans = split_sentences(text)
    return tuple(s for s in (text[a:b].strip() for a, b in spans) if ADDRESSED_RE.search(s))


def without(text: str, sentences: tuple[str, ...]) -> str:
    """`text` with `sentences` left out (whitespace collapsed)."""
    for sentence in sentences:
        text = text.replace(sentence, " ")
    return " ".join(text.split())
