"""Splitting long text for chat platforms: never cut, only split, at the coarsest boundary
that fits (paragraph, then line, then word), measured by the platform's own `size`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

SEPARATORS = ("\n\n", "\n", " ")  # paragraph, line, word
Size = Callable[[str], int]
HardSplit = Callable[[str, int], Iterator[str]]


def split_text(text: str, limit: int, size: Size = len, hard: HardSplit | None = None) -> list[str]:
    """Chunks of at most `limit` by `size`, preferring paragraph, then line, then word boundaries.

    Joined, the chunks give `text` back, except runs of blank space that cannot join a
    neighbouring chunk. A word longer than `limit` is split inside, by `hard` (default: by
    characters, as many as fit).
    """
    cut = hard or (lambda piece, most: hard_split(piece, most, size))
    chunks: list[str] = []
    pending = ""  # blank space waiting to join the next chunk
    for chunk in _greedy(text, limit, size, cut):
        if chunk.strip():
            if pending and size(pending + chunk) <= limit:
                chunk = pending + chunk
            pending = ""
            chunks.append(chunk)
        elif chunks and size(chunks[-1] + chunk) <= limit:
            chunks[-1] += chunk
        elif size(pending + chunk) <= limit:
            pending += chunk
    return chunks


def hard_split(text: str, limit: int, size: Size = len) -> Iterator[str]:
    """`text` in runs of as many characters as fit in `limit`."""
    start, used = 0, 0
    for end, char in enumerate(text):
        width = size(char)
        if used + width > limit and end > start:
            yield text[start:end]
            start, used = end, 0
        used += width
    if start < len(text):
        yield text[start:]


def _greedy(text: str, limit: int, size: Size, cut: HardSplit) -> list[str]:
    """Greedy chunks of whole pieces: a chunk only ends inside a piece too big for one chunk."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for piece in _pieces(text, limit, size, SEPARATORS, cut):
        piece_size = size(piece)
        if current and used + piece_size > limit:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(piece)
        used += piece_size
    if current:
        chunks.append("".join(current))
    return chunks


def _pieces(
    text: str, limit: int, size: Size, separators: Sequence[str], cut: HardSplit
) -> Iterator[str]:
    """`text` in order as pieces of at most `limit`, each cut at the coarsest boundary it needs."""
    if size(text) <= limit:
        yield text
    elif not separators:
        yield from cut(text, limit)
    else:
        separator, finer = separators[0], separators[1:]
        parts = text.split(separator)
        for part in parts[:-1]:
            yield from _pieces(part + separator, limit, size, finer, cut)
        if parts[-1]:
            yield from _pieces(parts[-1], limit, size, finer, cut)
