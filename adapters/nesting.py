"""How deeply a decoded JSON value nests: the edges of both endpoints refuse what nests deeper
than any real payload, before it can reach recursive code (serialisers, renderers)."""

from __future__ import annotations

from typing import Any


def depth(value: Any, limit: int) -> int:
    """How deeply `value` nests lists and objects; stops counting once past `limit`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest
