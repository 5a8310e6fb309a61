"""The web console's end-to-end harness: one headless Chromium for the whole session.

Debian's `chromium` (installed by `scripts/system-deps.sh`, which `make install-test` runs) is
driven by Playwright from the test extras; Playwright's own browser download is never used.
Each test gets a fresh browser context (its own cookies) on the real uvicorn of `conftest.Server`.
Screenshots go to `$TONGBAN_TEST_OUTPUT/console/` (default `build/test-output/console/`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from conftest import PASSWORD, Server
from playwright.async_api import Browser, Page, async_playwright, expect

# The document tests' factories (an exchange between two offices) are shared with these tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "documents"))

CHROMIUM = os.environ.get("TONGBAN_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
OUTPUT = Path(os.environ.get("TONGBAN_TEST_OUTPUT", "build/test-output")) / "console"
DESK = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}

# Keeps the page's websockets reachable from a test, to cut one as a network drop would.
SOCKET_SPY = """(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
})();"""

expect.set_options(timeout=15_000)


_shared: dict[str, Any] = {}


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """The session's one browser. Each test module that imports this fixture gets its own
    fixture definition, so the instance is kept here and shared by all of them."""
    if "browser" not in _shared:
        if not Path(CHROMIUM).exists():
            pytest.fail(f"No Chromium at {CHROMIUM}: run `bash scripts/system-deps.sh` "
                        "(installs Debian's chromium) or set TONGBAN_TEST_CHROMIUM.")
        playwright = await async_playwright().start()
        # launch() gives the browser a fresh, temporary user-data directory of its own.
        _shared["playwright"] = playwright
        _shared["browser"] = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, headless=True)
    yield _shared["browser"]
    if "playwright" in _shared:
        playwright = _shared.pop("playwright")
        await _shared.pop("browser").close()
        await playwright.stop()


class Console:
    """One person's browser tab on the console, and what went wrong in it."""

    def __init__(self, server: Server, page: Page) -> None:
        self.server, self.page = server, page
        self.errors: list[str] = []
        self.statuses: dict[str, int] = {}
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("response", self._seen)

    def _seen(self, response: Any) -> None:
        path = response.url.split(str(self.server.port), 1)[-1]
        self.statuses[path.split("?")[0]] = response.status

    async def open(self, route: str) -> None:
        await self.page.goto(f"{self.server.base_url}/console/#{route}")

    async def visit(self, route: str) -> None:
        """Navigate inside the app (no reload), as a click on a link does."""
        await self.page.evaluate("route => { location.hash = route; }", route)

    async def shot(self, name: str) -> Path:
        return await screenshot(self.page, name)

    async def drop_connection(self) -> None:
        """Cut the network: the feed's socket closes and no new one can open until `restore`."""
        await self.page.context.set_offline(True)
        await self.page.evaluate("() => window.__sockets.forEach((s) => s.close())")

    async def restore_connection(self) -> None:
        await self.page.context.set_offline(False)

    async def mark_document(self) -> None:
        """Leave a mark in the page's memory: gone if the page reloads."""
        await self.page.evaluate("() => { window.__notReloaded = true; }")

    async def was_not_reloaded(self) -> bool:
        return bool(await self.page.evaluate("() => window.__notReloaded === true"))


async def screenshot(page: Page, name: str) -> Path:
    """The whole page as `OUTPUT/name.png`."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def login(browser: Browser, server: Server, person: dict[str, Any], route: str = "/desk",
                viewport: dict[str, int] | None = None) -> Console:
    """A new context for `person`, logged in through the console's own form."""
    context = await browser.new_context(viewport=viewport or DESK, locale="zh-CN",
                                        timezone_id="Asia/Shanghai")
    await context.add_init_script(SOCKET_SPY)
    console = Console(server, await context.new_page())
    await console.open(route)
    await console.page.get_by_label("用户名").fill(person["username"])
    await console.page.get_by_label("密码").fill(PASSWORD)
    await console.page.get_by_role("button", name="登录").click()
    await expect(console.page.locator(".live")).to_have_attribute("data-status", "live")
    return console


@pytest_asyncio.fixture(loop_scope="session")
async def consoles(browser: Browser, server: Server) -> AsyncIterator[list[Console]]:
    """Consoles opened by a test; closed after it, failing it if a page threw."""
    opened: list[Console] = []
    yield opened
    for console in opened:
        await console.page.context.close()
    errors = [error for console in opened for error in console.errors]
    assert not errors, f"the console threw: {errors}"
