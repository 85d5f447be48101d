"""Client settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    host: str
    port: int = 80
    timeout: float = 10.0
    use_https: bool = False


def load_settings(data: dict[str, object]) -> Settings:
    """Settings from a parsed JSON object; missing keys keep their defaults."""
    return Settings(
        host=str(data["host"]),
        port=int(data.get("port", 80)),
        timeout=float(data.get("timeout", 10.0)),
        use_https=bool(data.get("use_https", False)),
    )
