"""The API reference page is served by the server from files it ships, with no CDN."""

from __future__ import annotations

import re

from conftest import Server


async def test_docs_page_loads_its_assets_from_this_server(server: Server) -> None:
    async with server.http() as http:
        page = await http.get("/v1/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(src.startswith("/v1/docs/assets/") for src in sources)
        for src in sources:
            asset = await http.get(src)
            assert asset.status_code == 200 and len(asset.content) > 100, src
        init = (await http.get("/v1/docs/assets/init.js")).text
        assert '"/v1/openapi.json"' in init
        assert (await http.get("/v1/docs/assets/secret_key")).status_code == 404
