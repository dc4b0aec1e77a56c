"""A real headless Chromium (the machine's own, /usr/bin/chromium) driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import people, sign_in_as  # noqa: F401  (shared fixtures)

CHROMIUM = os.environ.get("TRACKER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent.parent.parent / "test-artifacts" / "screenshots"


@pytest.fixture(params=["sqlite"])
def database_url(request, services, tmp_path) -> Iterator[str]:
    # The browser journeys exercise the pages; the data layer runs on both backends elsewhere.
    yield f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = "browser tests need Chromium: apt-get install chromium (or set TRACKER_CHROMIUM)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return lambda name: page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
