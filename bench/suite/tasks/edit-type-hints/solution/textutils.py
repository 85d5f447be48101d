"""Text helpers for the blog generator."""

import re
import unicodedata


def slugify(title: str) -> str:
    normalized = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", normalized.lower())
    return "-".join(words)


def truncate(text: str, width: int, suffix: str = "...") -> str:
    if len(text) <= width:
        return text
    return text[: width - len(suffix)].rstrip() + suffix


def word_count(text: str) -> int:
    return len(text.split())


def reading_time(text: str, words_per_minute: int = 200) -> int:
    minutes = word_count(text) / words_per_minute
    return max(1, round(minutes))
