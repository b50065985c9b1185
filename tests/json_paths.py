"""Paths into a JSON value, and copies of it with the value at one path replaced or taken out:
how the fuzz tests mangle a valid payload one field at a time."""

from __future__ import annotations

from typing import Any

Path = tuple[Any, ...]
"""Keys (of objects) and indexes (of arrays) from the top of a value down to one of its parts;
`()` is the whole value."""


def paths(value: Any, path: Path = ()) -> list[Path]:
    """Every path into `value`, the whole first, parents before their children."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*path, index))
    return found


def replaced(value: Any, path: Path, new: Any) -> Any:
    """A copy of `value` with `new` at `path`; `value` is left as it was."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    items = list(value)
    items[head] = replaced(items[head], rest, new)
    return items


def without(value: Any, path: Path) -> Any:
    """A copy of `value` with the part at `path` (not `()`) taken out."""
    head, rest = path[0], path[1:]
    if rest:
        copy = dict(value) if isinstance(value, dict) else list(value)
        copy[head] = without(value[head], rest)
        return copy
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != head}
    return [v for i, v in enumerate(value) if i != head]
