"""Browser tests: Debian's chromium driven by Playwright, axe-core from npm, against live_server.

.ci/run installs chromium (apt) and axe-core (npm ci). These tests are skipped only where there is
no chromium; a missing axe-core is a failure, not a skip, so CI cannot pass without checking.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
REPORT_DIR = Path(settings.BASE_DIR) / "var" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# WCAG 2.0, 2.1 and 2.2 at A and AA, plus axe's best practices (reported, and held to the same
# bar: nothing serious or critical).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING_IMPACTS = {"serious", "critical"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"no chromium at {CHROMIUM}: apt-get install chromium (.ci/run does this)"
    )
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module.

    Playwright's sync API keeps an event loop running in this thread while it is open, and Django
    refuses ORM calls from a thread with a running loop. The ORM calls here (the tests' own set-up
    and checks, and the database fixtures between tests) are plain synchronous calls, so Django's
    guard is off exactly while the browser is open, and the browser is closed at the end of each
    module so that nothing leaks into the rest of the suite.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` in the project folder")
    return AXE.read_text()


class Browsing:
    """One browser tab on the live server, with axe-core and a record of console problems."""

    def __init__(self, page: Any, base_url: str, axe_results: list[dict[str, Any]]) -> None:
        self.page = page
        self.base_url = base_url
        self.axe_results = axe_results
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", self._response)
        # Paths whose error status is what the test expects (a 404 page, say).
        self.expected_errors: set[str] = set()

    def _response(self, response: Any) -> None:
        path = response.url.removeprefix(self.base_url)
        if response.status >= 400 and path not in self.expected_errors:
            self.problems.append(f"{response.status} {path}")

    def _console(self, message: Any) -> None:
        # The browser also logs an expected error status as a failed resource load.
        source = (message.location or {}).get("url", "").removeprefix(self.base_url)
        if source in self.expected_errors and "Failed to load resource" in message.text:
            return
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def axe(self, name: str) -> list[dict[str, Any]]:
        """Run axe-core on the page as it is; record the result; return blocking violations."""
        result = self.page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "targets": [n["target"] for n in v["nodes"]],
            }
            for v in result["violations"]
        ]
        self.axe_results.append(
            {
                "page": name,
                "url": self.page.url.removeprefix(self.base_url),
                "passes": len(result["passes"]),
                "violations": violations,
            }
        )
        return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]

    def assert_accessible(self, name: str) -> None:
        blocking = self.axe(name)
        assert not blocking, f"{name}: serious or critical axe violations: {blocking}"
        assert not self.problems, f"{name}: {self.problems}"

    def assert_reflows_at_400_percent_zoom(self, name: str) -> None:
        """WCAG 1.4.10: at 320 CSS pixels wide (1280 at 400%) nothing scrolls sideways."""
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": 320, "height": 256})
        try:
            overflow = self.page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name}: {overflow}px of sideways scrolling at 320px wide"
        finally:
            self.page.set_viewport_size(size)


@pytest.fixture(scope="session")
def axe_results() -> Iterator[list[dict[str, Any]]]:
    """Every axe run of the session, written to var/browser/axe-results.json at the end."""
    results: list[dict[str, Any]] = []
    yield results
    if results:
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        (REPORT_DIR / "axe-results.json").write_text(json.dumps(results, indent=2))


@pytest.fixture
def new_browsing(
    browser: Any, axe_source: str, live_server: Any, axe_results: list[dict[str, Any]]
) -> Iterator[Callable[..., Browsing]]:
    """Opens a tab in a browser context of its own (its own cookies: one person each)."""
    contexts: list[Any] = []

    def open_tab(width: int = 1280, height: int = 900, locale: str = "en-GB") -> Browsing:
        # locale: the browser's language, sent as Accept-Language.
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        contexts.append(context)
        # Injected through the browser's debugging protocol, so the pages' content security
        # policy (scripts from our own origin only) stays on and is tested too.
        context.add_init_script(script=axe_source)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return Browsing(page, live_server.url, axe_results)

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def browsing(new_browsing: Callable[..., Browsing]) -> Browsing:
    return new_browsing()


@pytest.fixture
def browsing_without_js(
    browser: Any, live_server: Any, axe_results: list[dict[str, Any]]
) -> Iterator[Browsing]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Browsing(page, live_server.url, axe_results)
    context.close()


@pytest.fixture(autouse=True)
def _no_analysis_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages are under test, not the queue: nothing is sent to a broker. The end-to-end test
    analyses and routes in-process with feedback_analyse_batch(), as the worker would."""
    monkeypatch.setattr("feedback.services.intake.enqueue_analysis", lambda feedback_id: None)
