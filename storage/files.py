"""`bot.core.ports.DraftSink` on a folder: one subfolder per campaign, files replaced atomically."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.core.domain import DraftFile

_SEPARATORS = frozenset(filter(None, ("/", "\\", os.sep, os.altsep)))


def _check_name(name: str) -> None:
    if not name or name.startswith(".") or "\0" in name or any(s in name for s in _SEPARATORS):
        raise ValueError(
            f"a draft file name must be a plain name without path separators or a leading dot,"
            f" got {name!r}"
        )


def _write_atomically(path: Path, data: bytes) -> None:
    # A reader (or a crash) sees the old file or the new one, never half of one.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class DirectoryDraftSink:
    """Keeps drafts as `<directory>/campaign-<id>/<name>`; returns their absolute paths."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    async def save(self, campaign_id: int, files: Sequence[DraftFile]) -> tuple[str, ...]:
        for file in files:
            _check_name(file.name)  # refuse the whole batch before writing anything
        return await asyncio.to_thread(self._save, campaign_id, tuple(files))

    def _save(self, campaign_id: int, files: tuple[DraftFile, ...]) -> tuple[str, ...]:
        folder = self.directory.resolve() / f"campaign-{int(campaign_id)}"
        folder.mkdir(parents=True, exist_ok=True)
        paths: list[str] = []
        for file in files:
            path = folder / file.name
            _write_atomically(path, file.data)
            paths.append(str(path))
        return tuple(paths)
