"""The concrete ports the engine works with, as one value the composition root builds."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from bot.content.library import Content
from bot.core.ports import Clock, Directory, DraftSink, Invitations, Store, Transport
from bot.core.settings import Settings


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
    outbox: Invitations | None = None
    # Who holds a claim on an invitation or job: unique per running process.
    replica: str = field(default_factory=lambda: new_replica_id())


def new_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
