"""The concrete ports the engine works with, as one value the composition root builds.

The store is one object that implements every role port (`bot.core.ports.Store`), but the core
sees it only through its roles: each part names the port it uses (`services.reports`,
`services.people`, …), so mypy checks every use against that role's few methods and a reader
sees at a glance which concerns a function touches. Only the composition root holds the whole
`Store` (to migrate and close it).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from bot.content.library import Content
from bot.core.ports import (
    CampaignStore,
    Clock,
    ConversationStore,
    DecisionStore,
    Directory,
    DraftSink,
    DraftStore,
    Housekeeping,
    Invitations,
    JobStore,
    OutboxStore,
    OwnerStore,
    PeopleStore,
    PrivacyStore,
    ReportStore,
    Store,
    Transport,
)
from bot.core.settings import Settings


@dataclass(frozen=True)
class Services:
    """The concrete ports, wired by the composition root (`Services.over` a store)."""

    # The store, one field per role it plays.
    people: PeopleStore
    campaigns: CampaignStore
    conversations: ConversationStore
    owners: OwnerStore
    jobs: JobStore
    sends: OutboxStore  # the durable outbox of invitations and its shared send budget
    reports: ReportStore
    privacy: PrivacyStore
    drafts: DraftStore
    decisions: DecisionStore  # what the owners and the CSR lead decided for the policy
    housekeeping: Housekeeping
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

    @classmethod
    def over(
        cls,
        store: Store,
        *,
        transport: Transport,
        directory: Directory,
        clock: Clock,
        sink: DraftSink,
        settings: Settings,
        content: Content,
    ) -> Services:
        """The services with `store` in every role and the other ports as given."""
        return cls(
            people=store,
            campaigns=store,
            conversations=store,
            owners=store,
            jobs=store,
            sends=store,
            reports=store,
            privacy=store,
            drafts=store,
            decisions=store,
            housekeeping=store,
            transport=transport,
            directory=directory,
            clock=clock,
            sink=sink,
            settings=settings,
            content=content,
        )


def new_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
