"""Investor shorthand the documents spell out; a question using it is expanded before retrieval."""

from __future__ import annotations

import re

GLOSSARY: dict[str, str] = {
    "VPN": "virtual private network",
    "WFOE": "wholly foreign-owned enterprise",
    "WFOEs": "wholly foreign-owned enterprises",
    "JV": "joint venture",
    "JVs": "joint ventures",
    "FIE": "foreign-invested enterprise",
    "FIEs": "foreign-invested enterprises",
    "FTZ": "pilot free trade zone",
    "PE": "private equity",
    "VC": "venture capital",
    "IP": "intellectual property",
    "IPR": "intellectual property rights",
    "R&D": "research and development",
    "SME": "small and medium-sized enterprises",
    "SMEs": "small and medium-sized enterprises",
    "QFLP": "qualified foreign limited partner",
    "QDLP": "qualified domestic limited partner",
    "ETF": "exchange-traded funds",
    "ESG": "environmental, social and governance",
    "BRI": "Belt and Road Initiative",
    "B&R": "Belt and Road",
    "NEEQ": "National Equities Exchange and Quotations",
    "RMB": "renminbi yuan",
    "CIFTIS": "China International Fair for Trade in Services",
    "AI": "artificial intelligence",
    "ICP": "Internet content provider value-added telecommunications",
    "SaaS": "software as a service",
    "GHG": "greenhouse gas",
}
SHORTHAND_RE = re.compile(
    r"(?<![\w&])(" + "|".join(re.escape(k) for k in sorted(GLOSSARY, key=len, reverse=True)) + r")(?![\w&])"
)


def expand(question: str) -> str:
    """Append the spelled-out form of each shorthand found (the original words stay)."""
    found = dict.fromkeys(GLOSSARY[m] for m in SHORTHAND_RE.findall(question))
    return f"{question} ({'; '.join(found)})" if found else question


def spell_out(text: str) -> str:
    """Replace each shorthand by the documents' words ("VPN" -> "virtual private network")."""
    return SHORTHAND_RE.sub(lambda m: GLOSSARY[m.group(1)], text)
