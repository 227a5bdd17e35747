"""Investor shorthand the documents spell out; a question using it is expanded before retrieval."""

from __future__ import annotations

import re

# Places an investor may name besides Beijing: Chinese provinces, major cities and special zones. Beijing's
# districts and zones are not among them: the city's measures apply there too.
OTHER_PLACES = (
    "shanghai|shenzhen|guangzhou|guangdong|tianjin|chongqing|hainan|hangzhou|zhejiang|jiangsu|suzhou|nanjing|wuhan|"
    "hubei|chengdu|sichuan|xiamen|fujian|fuzhou|qingdao|shandong|jinan|dalian|liaoning|shenyang|hebei|xiong'?an|"
    "hong kong|macao|macau|taiwan|hunan|changsha|henan|zhengzhou|anhui|hefei|shaanxi|xi'?an|yunnan|kunming|guangxi|"
    "guizhou|jiangxi|shanxi|inner mongolia|heilongjiang|harbin|jilin|changchun|gansu|qinghai|ningxia|xinjiang|tibet|"
    "hengqin|qianhai|nansha|pudong|lingang|greater bay area"
)
# Beijing's own districts and best-known zones: a place named within the city (rag.answer.support.new_places).
BEIJING_PLACES = (
    "dongcheng|xicheng|chaoyang|haidian|fengtai|shijingshan|tongzhou|shunyi|daxing|changping|fangshan|mentougou|"
    "pinggu|huairou|miyun|yanqing|zhongguancun|yizhuang|lize|wangfujing"
)
_OTHER_PLACE_RE = re.compile(rf"\b(?:{OTHER_PLACES})\b", re.I)
_ANY_PLACE_RE = re.compile(rf"\b(?:{OTHER_PLACES}|{BEIJING_PLACES})\b", re.I)


# One place, two spellings: the documents themselves write both Macao and Macau.
_SPELLINGS = {"macau": "macao"}


def places(text: str, within_beijing: bool = False) -> set[str]:
    """The places `text` names, lower-cased, without apostrophes ("Xi'an" -> "xian") and in one spelling ("Macau" ->
    "macao"): another city, province or zone than Beijing, and with `within_beijing` Beijing's own districts and zones
    too."""
    found = (m.lower().replace("'", "") for m in (_ANY_PLACE_RE if within_beijing else _OTHER_PLACE_RE).findall(text))
    return {_SPELLINGS.get(m, m) for m in found}


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
    "HR": "human resources",
    "SOE": "state-owned enterprise",
    "SOEs": "state-owned enterprises",
    "FX": "foreign exchange",
    "HK": "Hong Kong",
    "PBOC": "People's Bank of China",
    "MRO": "aircraft maintenance",
    "ISP": "Internet access service provider",
    "ISPs": "Internet access service providers",
    "IPO": "listing",
    "IPOs": "listings",
    "ABS": "asset securitization",
    "ZGC": "Zhongguancun",
    "CIT": "corporate income tax",
    "VATS": "value-added telecommunications services",
    "HNTE": "high-tech enterprise",
    "HNTEs": "high-tech enterprises",
    # everyday shorthand for the bodies a question asks about ("which Dongcheng dept do I talk to?")
    "dept": "department",
    "Dept": "department",
    "depts": "departments",
    "govt": "government",
    "Govt": "government",
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


# --- proper names a translation keeps in the documents' own words -------------------------------------------------
# A run of capitalised words (with "of", "for", "on" between them): a body, a place, a park, a document
# ("Administration Committee of Zhongguancun Science Park", "Longfusi"). A small model transliterates or renders
# them freely (Longfusi came back as 长福寺, an administration committee as 行政委员会), so a translation carries
# them verbatim. Names every reader knows in their own language are left to the translation.
_CAP = r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*"
NAME_RE = re.compile(rf"\b{_CAP}(?:\s+(?:(?:of|for|on)\s+(?:the\s+)?)?{_CAP})*\b")
COMMON_NAMES = frozenset(
    [
        "Beijing",
        "China",
        "Chinese",
        "Tianjin",
        "Hebei",
        "Shanghai",
        "Taiwan",
        "Hong",
        "Kong",
        "Macao",
        "State",
        "Council",
        "Yes",
        "No",
        "Not",
        "Support",  # the verbs a measure opens with: "Encourage Chinese and foreign airlines" names no one
        "Encourage",
        "Allow",
        "Permit",
        "Explore",
        "Study",
        "Promote",
        "Establish",
        "Build",
        "Optimize",
        "Improve",
        "Implement",
        "Expand",
        "Open",
        "Relax",
        "Lower",
        "Remove",
        "Cancel",
        "Strengthen",
        "Facilitate",
        "Pilot",
        "The",
        "This",
        "These",
        "That",
        "It",
        "In",
        "On",
        "For",
        "And",
        "Work",
        "Plan",
        "Task",
        "Tasks",
        "Annex",
        "We",
        "Our",
        "Foreign",
        "Internet",
        "English",
    ]
)


def proper_names(text: str) -> list[str]:
    """The names in `text` a translation must keep verbatim, longest first: runs of two or more capitalised words,
    and single capitalised words of six or more letters that are not sentence openers or common names."""
    found = []
    for m in NAME_RE.finditer(text):
        words = m.group(0).split()
        while words and words[0] in COMMON_NAMES:  # "The Administration Committee" -> "Administration Committee"
            words = words[1:]
        name = " ".join(words)
        capitalised = [w for w in words if w[0].isupper()]
        opener = m.start() == 0 or text[: m.start()].rstrip().endswith((".", ":", "“", '"'))
        if len(capitalised) >= 2 or (len(name) >= 6 and name not in COMMON_NAMES and not opener):
            found.append(name)
    return sorted(dict.fromkeys(n for n in found if n), key=len, reverse=True)


# The asker's-language form of the few names whose rendering is fixed and unambiguous; every other name stays in
# the documents' English.
# What a document is called in another language (rag.interfaces.web.names.document_name): its kind as read from its
# title, and the qualifiers of its name (its number's series: rag.ingest.metadata.SERIES).
DOCUMENT_TERMS: dict[str, dict[str, str]] = {
    "zh": {
        "implementation proposal": "实施方案",
        "work plan": "工作方案",
        "summary": "摘要",
        "unofficial translation": "非官方译文",
    }
}
NAME_TRANSLATIONS: dict[str, dict[str, str]] = {
    "zh": {
        "Dongcheng District": "东城区",
        "Dongcheng": "东城",
        "Zhongguancun": "中关村",
        "Longfusi": "隆福寺",
        "Wangfujing": "王府井",
        "Ministry of Commerce": "商务部",
        "People's Bank of China": "中国人民银行",
        # the district bodies the departments lines name, in the forms the documents write them
        "Dongcheng Administration for Market Regulation": "东城区市场监督管理局",
        "Dongcheng Bureau of Culture and Tourism": "东城区文化和旅游局",
        "Commerce Bureau of Dongcheng District": "东城区商务局",
        "Bureau of Commerce of Dongcheng District": "东城区商务局",
        "Dongcheng Bureau of Science Technology and Information": "东城区科学技术和信息化局",
        "Financial Services Office of Dongcheng District": "东城区金融服务办公室",
        "Finance Bureau of Dongcheng District": "东城区财政局",
        "Development and Reform Commission of Dongcheng District": "东城区发展和改革委员会",
        "Branch Public Security Bureau of Dongcheng District": "北京市公安局东城分局",
        "Tax Service of Dongcheng District": "东城区税务局",
        "Health Commission of Dongcheng District": "东城区卫生健康委员会",
        "Human Resources and Social Security Bureau of Dongcheng District": "东城区人力资源和社会保障局",
        "Publicity Department of District Committee of CPC": "中共东城区委宣传部",
        "Publicity Department of the District Committee of CPC": "中共东城区委宣传部",
        "Foreign Affairs Office of Dongcheng Government": "东城区人民政府外事办公室",
        "Foreign Affairs Office of District Government": "东城区人民政府外事办公室",
        "Foreign Affairs Office of Dongcheng District": "东城区人民政府外事办公室",
        "Commission of Housing and Urban Development of Dongcheng District": "东城区住房和城市建设委员会",
        "Administration Committee of Dongcheng Park": "中关村东城园管理委员会",
        "Traffic Police Detachment of Dongcheng District": "东城交通支队",
        "People's Government of Dongcheng District": "东城区人民政府",
        "Committee Organization Department of Dongcheng District": "中共东城区委组织部",
        "SASAC of Dongcheng District": "东城区国资委",
        "Government Affairs Service Bureau of Dongcheng District": "东城区政务服务管理局",
        "Education Commission of Dongcheng District": "东城区教育委员会",
    }
}


def known_names(text: str, language: str) -> list[str]:
    """The names of NAME_TRANSLATIONS[language] that `text` holds, longest first (a body's name with "and" in it,
    "Human Resources and Social Security Bureau of Dongcheng District", is one name, not two capitalised runs)."""
    table = NAME_TRANSLATIONS.get(language, {})
    return sorted((n for n in table if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)), key=len, reverse=True)
