"""/docs works on a closed network: the page and every asset it loads come from the gateway."""

import re

import httpx
from fastapi import FastAPI

from smsgate.http.v1 import docs_page


def client() -> httpx.AsyncClient:
    app = FastAPI(docs_url=None, redoc_url=None)
    docs_page.install(app, "/openapi.json")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_the_docs_page_loads_nothing_from_another_host() -> None:
    async with client() as c:
        page = await c.get("/docs")
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ["']([^"']+)["']""", page.text)
        found = [a or b for a, b in urls]
        assert "/openapi.json" in found
        assets = [u for u in found if u != "/openapi.json"]
        assert assets, page.text
        for url in assets:
            assert url.startswith("/docs/assets/"), url
            asset = await c.get(url)
            assert asset.status_code == 200, url
            assert len(asset.content) > 100, url
