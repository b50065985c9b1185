"""The concrete ports the engine works with, as one value the composition root builds."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.content import Content
from bot.ports import Clock, Directory, DraftSink, Store, Transport
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.outbox import Outbox


@dataclass(frozen=True)
class Services:
    """The concrete ports, wired by the composition root."""

    store: Store
    transport: Transport
    directory: Directory
    clock: Clock
    sink: DraftSink
    settings: Settings
    content: Content
    # The outbox of poll invitations; the composition root sets it (pacing per platform).
    outbox: Outbox | None = None
    # Who holds a claim on an invitation or job: unique per running process.
    replica: str = field(default_factory=lambda: new_replica_id())


def new_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
