"""URLs for the API client."""

from __future__ import annotations

from urllib.parse import urlencode

from settings import Settings


def base_url(settings: Settings) -> str:
    scheme = "https" if settings.use_https else "http"
    return f"{scheme}://{settings.host}:{settings.port}"


def build_url(settings: Settings, path: str, **query: str) -> str:
    url = base_url(settings) + "/" + path.lstrip("/")
    if query:
        url += "?" + urlencode(sorted(query.items()))
    return url
