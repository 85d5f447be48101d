"""Text helpers for the blog generator."""

import re
import unicodedata


def slugify(title):
    normalized = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", normalized.lower())
    return "-".join(words)


def truncate(text, width, suffix="..."):
    if len(text) <= width:
        return text
    return text[: width - len(suffix)].rstrip() + suffix


def word_count(text):
    return len(text.split())


def reading_time(text, words_per_minute=200):
    minutes = word_count(text) / words_per_minute
    return max(1, round(minutes))
