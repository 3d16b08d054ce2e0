"""The editor's page in a real headless browser (Debian's Chromium, driven by Playwright).

The server is the real app on 127.0.0.1; its model is a scripted one whose
summary asserts one fact the article does not support (a random-weight
model cannot be made to), so that what is tested is the page, the API and
the checker: paste, summarise, see the highlight, hover or focus for the
passage, follow a supported fact to its evidence.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from summarize import Summary
from summarize.faithfulness import check_faithfulness

pytest.importorskip("uvicorn")
playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt install chromium)"), pytest.mark.slow]

ARTICLE = ("The city council approved a budget of 11 million hryvnias on Tuesday. Officials said the money would "
           "repair roads and schools before winter. The mayor said work would begin in spring.")
SUMMARY = "The council approved 11 million hryvnias on Tuesday; work starts in 2031."


class Scripted:
    """Stands in for the model: a fixed summary, checked by the real faithfulness checker."""

    method = "abstractive"
    batch_size = 8

    def check_call(self, **options):  # the service's option check before queueing: everything goes
        return None

    def summarize(self, texts, *, errors="raise", lang="auto", target_lang=None, **options):
        return [Summary(text=SUMMARY, source_lang="en", target_lang="en", lang_detected=True, method="abstractive",
                        model="scripted", faithfulness=check_faithfulness(t, SUMMARY)) for t in texts]


@pytest.fixture(scope="module")
def site():
    import uvicorn

    from summarize.server.app import create_app
    from summarize.server.service import ServerConfig

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(ServerConfig(), summarizer=Scripted()), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def test_paste_summarise_see_the_highlight_and_the_evidence(site, browser):
    page = browser.new_page()
    offsite = []
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(site) else None)
    page.goto(site + "/")
    page.fill("#text", ARTICLE)
    page.select_option("#target_lang", "en")
    page.click("#go")
    page.wait_for_selector("#result:not([hidden])")
    assert page.inner_text("#summary") == SUMMARY
    flagged = page.locator("#summary mark.fact.unsupported")
    assert flagged.count() == 1 and flagged.inner_text() == "2031"
    # Hover: the passage the checker compared, the closest sentence of the article.
    flagged.hover()
    passage = page.locator("#passage")
    passage.wait_for(state="visible")
    assert "Not supported" in passage.inner_text() and "work would begin in spring" in passage.inner_text()
    page.mouse.move(0, 0)
    passage.wait_for(state="hidden")
    # A supported fact links to its evidence in the article as read.
    supported = page.locator("#summary a.fact.supported", has_text="Tuesday")
    target = supported.get_attribute("href")
    supported.click()
    assert page.locator(target).inner_text() == "Tuesday" and page.locator("#source-box").get_attribute("open") is not None
    assert "11 million hryvnias" in page.inner_text("#legend") or "facts checked" in page.inner_text("#legend")
    assert offsite == []  # everything came from the package
    page.close()


def test_the_keyboard_alone_reaches_every_fact(site, browser):
    page = browser.new_page()
    page.goto(site + "/")
    page.focus("#text")
    page.keyboard.insert_text(ARTICLE)
    page.focus("#go")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result:not([hidden])")
    page.focus("#summary mark.fact.unsupported")  # a tab stop of its own
    assert page.locator("#passage").is_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "passage"
    page.keyboard.press("Escape")
    assert not page.locator("#passage").is_visible()
    page.close()


def test_readable_on_a_phone(site, browser):
    page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page.goto(site + "/")
    page.fill("#text", ARTICLE)
    page.click("#go")
    page.wait_for_selector("#result:not([hidden])")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
    page.close()


def test_an_error_is_shown_in_one_line(site, browser):
    page = browser.new_page()
    page.goto(site + "/")
    page.click("#go")  # nothing pasted
    # Not wait_for_function: it polls with eval, which the page's CSP refuses once a first look is not enough.
    playwright.expect(page.locator("#status")).to_have_text(re.compile(r"^Error"), timeout=30_000)
    assert page.inner_text("#status") == "Error: 'text' is empty"
    page.close()


def test_with_a_token_the_page_asks_for_it_once_and_then_works(browser):
    import uvicorn

    from summarize.server.app import create_app
    from summarize.server.service import ServerConfig

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(ServerConfig(token="s3cret"), summarizer=Scripted()), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{sock.getsockname()[1]}/")
        page.wait_for_url("**/signin")  # the API said 401: the sign-in form
        assert page.locator("#token").count() == 1
        page.fill("#token", "wrong")
        page.click("button[type=submit]")
        page.wait_for_url("**/signin?again=1")
        assert page.locator("#token").count() == 1 and page.is_visible("#again")  # still asked, and told why
        page.fill("#token", "s3cret")
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        page.wait_for_selector("#text")
        # The token is in this tab's sessionStorage (this origin's, port included), never in a cookie.
        assert page.context.cookies() == []
        page.fill("#text", ARTICLE)
        page.click("#go")
        page.wait_for_selector("#result:not([hidden])")
        assert page.inner_text("#summary") == SUMMARY
        page.close()
    finally:
        server.should_exit = True
        thread.join(10)


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_the_page_for_an_editor_at_1280_and_390_pixels(site, browser, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(site + "/")
    # Only the chosen input's controls show (the hidden tabs' labels once showed under Text).
    assert page.is_visible("label[for=text]") and not page.is_visible("label[for=html]") and not page.is_visible("label[for=url]")
    page.check("input[name=source][value=url]")
    assert page.is_visible("label[for=url]") and not page.is_visible("label[for=text]")
    page.check("input[name=source][value=text]")
    assert page.inner_text("label[for=method]") == "How to summarise"
    page.fill("#text", ARTICLE)
    page.click("#go")
    page.wait_for_selector("#result:not([hidden])")
    summary = page.locator("#summary").bounding_box()
    assert 0 <= summary["y"] < height  # brought into view
    article = page.locator("#text").bounding_box()
    if width >= 1024:  # side by side
        assert summary["x"] > article["x"] + article["width"] - 1
    else:  # stacked, and nothing wider than the screen
        assert summary["x"] < article["x"] + 10
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{width}.png"), full_page=True)
    page.close()


def test_errors_speak_of_the_pages_controls(site, browser):
    page = browser.new_page()
    page.goto(site + "/")
    page.fill("#text", ARTICLE)
    page.select_option("#method", "lead")
    page.select_option("#target_lang", "uk")  # lead copies English sentences: it cannot write Ukrainian
    page.click("#go")
    # Not wait_for_function: it polls with eval, which the page's CSP refuses once a first look is not enough.
    playwright.expect(page.locator("#status")).to_have_text(re.compile(r"^Error"), timeout=30_000)
    message = page.inner_text("#status")
    assert "model='crosssum'" not in message and "a server running the crosssum model" in message, message
    assert page.get_attribute("#status", "class") == "error"
    page.close()
