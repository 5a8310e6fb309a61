"""The console's files as the server ships them: the page's security headers, the import map
pointing at vendored files that exist and match VENDOR.md, and their caching."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import httpx
from conftest import Server

import console

STATIC = Path(console.__file__).parent / "static"


def http(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app),
                             base_url=server.base_url)


async def test_the_page_allows_only_its_own_scripts(server: Server) -> None:
    async with http(server) as client:
        page = await client.get("/console/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    [import_map] = re.findall(r'<script type="importmap">(.*?)</script>', page.text, re.S)
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    policy = page.headers["content-security-policy"]
    assert f"script-src 'self' 'sha256-{digest}'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # no other inline script for the policy to refuse


async def test_the_vendored_libraries_are_the_ones_listed_and_cached_for_good(
        server: Server) -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    imports = json.loads(re.findall(r'<script type="importmap">(.*?)</script>', page, re.S)[0])
    listed = (STATIC / "vendor" / "VENDOR.md").read_text(encoding="utf-8")
    async with http(server) as client:
        for url in imports["imports"].values():
            relative = url.removeprefix("./")
            body = (STATIC / relative).read_bytes()
            assert hashlib.sha256(body).hexdigest() in listed, relative
            served = await client.get(f"/console/{relative}")
            assert served.status_code == 200 and served.content == body
            assert "immutable" in served.headers["cache-control"]
            assert served.headers["content-type"].startswith(("text/javascript",
                                                              "application/javascript"))
        own = await client.get("/console/js/main.js")
        assert own.headers["cache-control"] == "no-cache"  # revalidated: upgrades show at once
        missing = await client.get("/console/js/nothing.js")
        assert missing.status_code == 404
    for name in ("preact", "htm", "echarts", "zrender", "tslib"):
        assert (STATIC / "vendor" / "licences" / f"{name}-LICENSE").exists()
