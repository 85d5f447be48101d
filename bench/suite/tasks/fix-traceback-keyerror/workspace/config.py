"""Settings of the web app, read from the [server] section of an INI file."""

from __future__ import annotations

import configparser
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def load_settings(path: str | Path) -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    return dict(parser["server"]) if parser.has_section("server") else {}


def get_host(settings: dict[str, str]) -> str:
    return settings.get("host", DEFAULT_HOST)


def get_port(settings: dict[str, str]) -> int:
    return int(settings["port"])


def get_debug(settings: dict[str, str]) -> bool:
    return settings.get("debug", "no").lower() in ("1", "yes", "true", "on")
