"""End to end in headless Chromium: ask in the chat, follow a citation, land on the highlighted paragraph;
the first screen, rating an answer, stop and retry, a new conversation, a Chinese page, and an axe-core scan.

Starts `streamlit run app.py` with the fast real `smollm2` model (real retrieval,
a real llama.cpp generation) on a free port that is not Streamlit's default, and
without RAG_APP_URL: citation links must work wherever the app is served.
Needs Debian's chromium (`apt-get install -y chromium`); never `playwright install`.
Screenshots (desktop and phone) go to results/screenshots/. The accessibility scan needs axe-core
(`scripts/setup.sh --with-browser` installs it into .cache/node); without it that one check is skipped.
"""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from rag.core.settings import ROOT
from rag.interfaces.http.process import running
from rag.interfaces.web.ui import HIGHLIGHT_CLASS, VIEWER_HEAD_KEY

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "results" / "screenshots"
QUESTION = "Can a wholly foreign-owned company become a private fund manager in Beijing?"
ANSWER_TIMEOUT_MS = 180_000  # first question loads the embedding model on a shared 2-core machine
SECOND = "What does the 2023 work plan say about telecommunications?"
DEFAULT_PORT = 8501
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 1400}
# A document or paragraph id as the corpus spells them: gh-2020-123, plan-2023.p009, dongcheng-2019.t04.
INTERNAL_ID_RE = re.compile(r"\b(?:gh|plan|dongcheng)-\d{4}(?:-\d+)?(?:-[a-z]+)?(?:\.[pt]\d+)?\b")


def _free_port() -> int:
    """A free port other than Streamlit's default (links must not depend on it)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != DEFAULT_PORT:
            return port


AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
DOCUMENTS = [  # the first screen: each document with its number, date and standing
    "Guo Han [2020] No. 123 · 2020-08-28 · in force",
    "Guo Han [2020] No. 123 (unofficial translation) · 2020-08-28 · unofficial translation of Guo Han [2020] No. 123",
    "Guo Han [2019] No. 16 · 2019-01-31 · in force; Guo Han [2020] No. 123 prevails where they differ",
    "Dongcheng implementation proposal (2019) · no number · 2019-05-24 · implements Guo Han [2019] No. 16",
    "2023 work plan (summary) · no number · date not stated · in force",
]


@pytest.fixture(scope="module")
def feedback_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("feedback") / "feedback.sqlite3"


@pytest.fixture(scope="module")
def server(tmp_path_factory, feedback_db):
    """The app on a free non-default port with the smollm2 model and no RAG_APP_URL; always killed at the end."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install it with: apt-get update && apt-get install -y chromium")
    port = _free_port()
    base = f"http://localhost:{port}"
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    overrides = {"RAG_APP_URL": "", "RAG_BACKEND": "smollm2", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    overrides["RAG_FEEDBACK_DB"] = str(feedback_db)
    overrides["RAG_ANSWERABLE_MIN_MODEL_YES"] = "0"  # calibrated for the local model; the 135M one stands in here
    streamlit = Path(sys.executable).parent / "streamlit"
    command = [str(streamlit), "run", "app.py", "--server.headless", "true", "--server.port", str(port)]
    command += ["--browser.gatherUsageStats", "false"]
    with running(command, f"{base}/_stcore/health", log, env=overrides, timeout_s=90):
        yield base


@pytest.fixture
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):
    return browser.new_page(viewport=DESKTOP)


@pytest.fixture
def phone(browser):
    return browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)


def _ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=ANSWER_TIMEOUT_MS)
    box.fill(question)
    box.press("Enter")


def _answer(page, n: int):
    """The n-th assistant bubble (0-based), once its sources are shown."""
    from playwright.sync_api import expect

    bubble = page.locator('[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarAssistant"])').nth(n)
    heading = bubble.locator("strong").filter(has_text=re.compile(r"^Sources$")).first  # not the copy block's
    expect(heading).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(bubble.get_by_test_id("stPageLink").first).to_contain_text(re.compile(r"Read ¶\d+ in the document"))
    return bubble


def test_shared_paragraph_link_opens_the_viewer_directly_with_the_app_navigation(server, page):
    """A fresh session that starts at /viewer (a link shared outside the app) gets the same app."""
    from playwright.sync_api import expect

    page.goto(f"{server}/viewer?doc=dongcheng-2019&p=dongcheng-2019.p006")
    target = page.locator('[id="dongcheng-2019.p006"]')
    expect(target).to_have_class(re.compile(rf"\b{HIGHLIGHT_CLASS}\b"), timeout=60_000)
    expect(target).to_be_in_viewport(timeout=10_000)
    _in_view_header(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "desktop_viewer.png")
    nav = page.get_by_test_id("stSidebarNavLink")
    expect(nav).to_have_text([re.compile("Ask the documents$"), re.compile("Read the documents$")])  # after the icon


def _in_view_header(viewer):
    """The viewer's header: on screen, naming the document and the highlighted paragraph's status."""
    from playwright.sync_api import expect

    head = viewer.locator(f".st-key-{VIEWER_HEAD_KEY}")
    expect(head).to_be_in_viewport(timeout=10_000)
    expect(head).to_contain_text(re.compile(r"Highlighted: .+¶\d+ · status "))
    return head


def test_phone_answer_reads_plainly_and_its_citation_opens_the_viewer_and_leads_back(server, phone):
    """Phone-sized: examples on the page, no ids in the answer, a citation to the viewer and back, same session."""
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = phone
    page.goto(server)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name=QUESTION)).to_be_visible()  # examples in the main area, not the menu
    page.screenshot(path=SHOTS / "phone_start.png")
    _ask(page, QUESTION)
    bubble = _answer(page, 0)
    shown = bubble.inner_text()
    assert not INTERNAL_ID_RE.search(shown), INTERNAL_ID_RE.search(shown).group(0)
    bottom_line = re.compile(
        r"^(In force|Supported, not yet a right|To be explored, a plan only|Status not stated) — "
        r"|^(Yes|Yes, with conditions|No|Not yet, planned or to be explored):"  # a verdict, when one is shown, leads
    )
    assert bottom_line.match(shown.split("\n\n", 1)[1]), shown[:300]  # after the avatar: the bottom line first
    page.screenshot(path=SHOTS / "phone_answer.png", full_page=True)

    link = bubble.locator('[data-testid="stMarkdownContainer"] a[href^="viewer?doc="]').first
    expect(link).to_have_text(re.compile(r"^\[\d+\]$"))  # the inline marker, a relative link: any port or prefix
    paragraph_id = parse_qs(urlparse(link.get_attribute("href")).query)["p"][0]
    link.click()
    page.wait_for_url(re.compile(r"/viewer\?"), timeout=30_000)  # same tab, same session
    target = page.locator(f'[id="{paragraph_id}"]')
    expect(target).to_have_class(re.compile(rf"\b{HIGHLIGHT_CLASS}\b"), timeout=60_000)
    expect(target).to_be_in_viewport(timeout=10_000)
    _in_view_header(page)
    page.screenshot(path=SHOTS / "phone_viewer.png")

    page.get_by_role("link", name=re.compile("Back to the conversation")).click()
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text(QUESTION, timeout=30_000)
    _answer(page, 0)


def test_second_question_while_the_first_is_answered_stops_it_and_gets_the_model(server, page):
    """The abandoned answer is stopped: the second answer is not a 'model busy' fallback.

    The second question goes in as soon as the first answer's bubble is on the page. Waiting for the model's
    cursor raced the 135M model, whose one-sentence lead can be complete before the second question is typed
    (then nothing is stopped). Once the bubble is there the first run is stopped at its next page update, whichever
    stage it is in: the closing of its event stream is checked in tests/test_app.py."""
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(server)
    _ask(page, QUESTION)
    assistant = page.locator('[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarAssistant"])')
    expect(assistant.first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # the first answer is under way
    _ask(page, SECOND)
    expect(page.get_by_text("Stopped: a new question was asked", exact=False)).to_be_visible(timeout=30_000)
    bubble = _answer(page, 1)
    expect(page.get_by_test_id("stChatMessage").nth(2)).to_contain_text(SECOND)
    assert "could not answer this time" not in page.locator("section").first.inner_text()  # no busy/failed model
    assert "could not answer this time" not in bubble.inner_text()
    page.screenshot(path=SHOTS / "desktop_answer.png", full_page=True)


def _axe_serious(page) -> list[str]:
    """The serious and critical axe-core violations on the page once its script has settled ("id: first target"
    each). During a rerun (a rating, a click) Streamlit dims the elements still to be redrawn, which measure under
    the contrast ratio while dimmed: the scan waits until none is stale."""
    page.wait_for_function('() => !document.querySelector(\'[data-testid="stElementContainer"][data-stale="true"]\')')
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ': ' + v.nodes[0].target.join(' '))"
    )
    return list(found)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_first_screen_lists_the_five_documents_linked_to_the_viewer_and_passes_axe(server, browser, viewport):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    size = dict(viewport=DESKTOP) if viewport == "desktop" else dict(viewport=PHONE, is_mobile=True, has_touch=True)
    page = browser.new_page(**size)
    page.goto(server)
    main = page.locator("#stMain")  # the main area (the sidebar has example buttons too)
    expect(main.get_by_text("Not legal advice", exact=False)).to_be_visible(timeout=60_000)
    for label in DOCUMENTS:
        expect(main.get_by_role("link", name=re.compile(re.escape(label) + "$"))).to_be_visible(timeout=60_000)
    page.screenshot(path=SHOTS / f"{viewport}_first_screen.png")
    if AXE.exists():
        assert _axe_serious(page) == []
    main.get_by_role("link", name=re.compile(re.escape(DOCUMENTS[3]) + "$")).click()
    page.wait_for_url(re.compile(r"/viewer\?doc=dongcheng-2019"), timeout=30_000)  # same tab, same session
    expect(page.get_by_role("heading", name=re.compile("Implementation Proposal of Dongcheng"))).to_be_visible()


def test_rate_and_copy_an_answer_then_start_a_new_conversation(server, browser, feedback_db):
    """Thumbs up reaches the feedback store; the code block's copy button puts the answer with its sources on the
    clipboard as Markdown (question, document names, paragraph links); New conversation clears the chat."""
    from playwright.sync_api import expect

    from rag.core.settings import Settings
    from rag.interfaces.feedback import load_feedback

    page = browser.new_page(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page.goto(server)
    _ask(page, QUESTION)
    bubble = _answer(page, 0)
    bubble.get_by_role("radio", name="Thumbs up").click()
    expect(bubble.get_by_text("Thanks: your rating was recorded.")).to_be_visible(timeout=30_000)
    [entry] = [f for f in load_feedback(Settings(feedback_db=feedback_db)) if f.rating == "up"]
    assert (entry.question, entry.source, entry.backend) == (QUESTION, "app", "smollm2") and entry.citations
    if AXE.exists():
        assert _axe_serious(page) == []
    # then the copy
    bubble.get_by_text("Copy answer with sources").click()
    code = bubble.get_by_test_id("stCode")
    button = code.get_by_label("Copy to clipboard")
    for _ in range(10):  # the block's own copy button shows on hover or focus, once the expander has opened
        code.hover()
        code.focus()
        if button.is_visible():
            break
        page.wait_for_timeout(500)
    button.click()
    copied = ""
    for _ in range(20):  # the page writes the clipboard asynchronously
        copied = page.evaluate("navigator.clipboard.readText()")
        if copied:
            break
        page.wait_for_timeout(250)
    assert copied.startswith(f"**Question:** {QUESTION}"), copied[:200]
    assert re.search(r"\]\([^)\s]*/viewer\?doc=([\w-]+)&p=\1\.p\d+\)", copied), copied  # a paragraph's link
    assert "Guo Han [2020] No. 123" in copied and "“" in copied  # a document's name and a verbatim quote
    page.get_by_role("button", name="New conversation").click()
    expect(page.get_by_test_id("stChatMessage")).to_have_count(0, timeout=30_000)
    expect(page.get_by_role("button", name=QUESTION).first).to_be_visible()  # the examples are back


def test_stop_keeps_the_answer_marked_stopped_and_retry_answers(server, phone):
    from playwright.sync_api import expect

    page = phone
    page.goto(server)
    stopped = page.get_by_text("Stopped: you stopped this answer", exact=False)
    asked = 0
    while asked < 3:  # the 135M model can finish before the click lands: then the stop is tried again
        asked += 1
        _ask(page, SECOND)
        page.get_by_role("button", name="Stop").click(timeout=ANSWER_TIMEOUT_MS)
        try:
            expect(stopped).to_be_visible(timeout=30_000)
            break
        except AssertionError:
            pass
    expect(stopped).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Ask again").click()
    _answer(page, asked)
    expect(page.get_by_test_id("stChatMessage").nth(2 * asked)).to_contain_text(SECOND)
    expect(page.get_by_role("button", name="Ask again")).to_have_count(0)


def test_a_chinese_question_shows_a_chinese_page(server, page):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(server)
    _ask(page, "外商独资企业可以在北京申请成为私募股权基金管理人吗？")
    expect(page.get_by_role("heading", name="北京扩大开放政策助手")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("不构成法律意见", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stChatInputTextArea")).to_have_attribute("placeholder", "请输入关于扩大开放政策的问题…")
    assistant = page.locator('[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarAssistant"])')
    expect(assistant.first.get_by_text("报告错误答案")).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # answered
    expect(page.get_by_test_id("stChatMessageAvatarUser").first).to_have_attribute("aria-label", "您的提问")
    page.screenshot(path=SHOTS / "desktop_chinese.png")


def test_viewer_answers_which_document_governs_under_the_paragraph_and_its_links_stay_in_the_session(server, page):
    """Asked from a highlighted measure, the answer sits right under it; a link in it moves the viewer in the same
    tab and session (the page's language, chosen before, is kept)."""
    from playwright.sync_api import expect

    page.goto(f"{server}/viewer?doc=dongcheng-2019&p=dongcheng-2019.p093")
    expect(page.locator('[id="dongcheng-2019.p093"]')).to_be_visible(timeout=60_000)
    page.get_by_text("中文", exact=True).first.click()
    page.get_by_role("button", name=re.compile("哪份文件适用于此项措施")).click(timeout=30_000)
    box = page.locator(".st-key-governs-result")
    expect(box).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    highlighted = page.locator('[id="dongcheng-2019.p093"]').bounding_box()
    assert 0 < box.bounding_box()["y"] - (highlighted["y"] + highlighted["height"]) < 200  # right under it
    box.locator('[data-testid="stMarkdownContainer"] a[href*="viewer?doc=gh-2019-16&p="]').first.click()
    page.wait_for_url(re.compile(r"/viewer\?doc=gh-2019-16&p=gh-2019-16\.p\d+"), timeout=30_000)
    assert len(page.context.pages) == 1  # no new tab
    expect(page.get_by_text("高亮段落", exact=False)).to_be_visible(timeout=30_000)  # same session: still Chinese


TRAPS = (  # a requirement the text eliminates; a standard the text only asks companies to follow voluntarily
    "Do foreign-invested certification bodies in Dongcheng still need more than 3 years of accreditation experience?",
    "Will companies in Beijing be required to follow the ESG disclosure standards?",
)


def test_the_first_visible_sentence_of_a_polarity_trap_says_no(server, page):
    """The verdict is decided in code from the quoted sentence's markers (eliminate, voluntarily): whatever the model
    writes, the first words the reader sees after the question say No, and never 'still' or 'must'."""
    page.goto(server)
    for n, question in enumerate(TRAPS):
        _ask(page, question)
        first = _answer(page, n).inner_text().split("\n\n", 1)[1].split("\n", 1)[0]  # after the avatar
        assert first.startswith("No: “"), first[:200]
        opening = first.split("”", 1)[1] if "”" in first else ""  # the assistant's own words after the quote
        assert not re.search(r"\b(still|must|mandatory|required to)\b", opening, re.I), first
