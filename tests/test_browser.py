"""End to end in headless Chromium: ask in the chat, follow a citation, land on the highlighted paragraph.

Starts `streamlit run app.py` with the extractive backend (real retrieval, no
LLM) on a free port. Needs Debian's chromium (`apt-get install -y chromium`);
never `playwright install`. Screenshots go to results/screenshots/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from rag.core.settings import ROOT
from rag.interfaces.web.ui import HIGHLIGHT_CLASS

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit was not healthy at {url} after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a free port, extractive backend; always killed at the end."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install it with: apt-get update && apt-get install -y chromium")
    port = _free_port()
    base = f"http://localhost:{port}"
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = os.environ | {
        "RAG_BACKEND": "extractive",
        "RAG_APP_URL": base,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    streamlit = Path(sys.executable).parent / "streamlit"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                str(streamlit),
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(f"{base}/_stcore/health", proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 1400})
        finally:
            browser.close()


def test_shared_paragraph_link_opens_the_viewer_directly_with_the_app_navigation(server, page):
    """A fresh session that starts at /viewer (a link shared outside the app) gets the same app."""
    from playwright.sync_api import expect

    page.goto(f"{server}/viewer?doc=dongcheng-2019&p=dongcheng-2019.p006")
    target = page.locator('[id="dongcheng-2019.p006"]')
    expect(target).to_have_class(re.compile(rf"\b{HIGHLIGHT_CLASS}\b"), timeout=60_000)
    expect(target).to_be_in_viewport(timeout=10_000)
    nav = page.get_by_test_id("stSidebarNavLink")
    expect(nav).to_have_text([re.compile("Ask the documents$"), re.compile("Read the documents$")])  # after the icon


def test_question_gets_cited_answer_whose_link_opens_the_highlighted_paragraph(server, page):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(server)
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=ANSWER_TIMEOUT_MS)
    box.fill(QUESTION)
    box.press("Enter")

    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer.get_by_text("Sources", exact=False)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    link = answer.locator('a[href*="/viewer?doc="]').first
    expect(link).to_be_visible()
    expect(link).to_have_text(re.compile(r"^\[\d+\]$"))  # the inline marker itself is the link
    page.screenshot(path=SHOTS / "chat_answer.png", full_page=True)

    href = link.get_attribute("href")
    paragraph_id = parse_qs(urlparse(href).query)["p"][0]
    if link.get_attribute("target") == "_blank":
        with page.context.expect_page() as opened:
            link.click()
        viewer = opened.value
        viewer.set_viewport_size({"width": 1280, "height": 1400})
    else:
        link.click()
        viewer = page
    viewer.wait_for_url(re.compile(r"/viewer\?"), timeout=30_000)

    target = viewer.locator(f'[id="{paragraph_id}"]')
    expect(target).to_be_visible(timeout=60_000)
    expect(target).to_have_class(re.compile(rf"\b{HIGHLIGHT_CLASS}\b"))
    expect(target).to_be_in_viewport(timeout=10_000)  # scrolled to, not just present
    assert viewer.locator(f".{HIGHLIGHT_CLASS}").count() == 1
    viewer.screenshot(path=SHOTS / "viewer_paragraph.png")
