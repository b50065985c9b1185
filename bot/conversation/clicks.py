"""The click registry, beside the command registry: each kind of button (a `ClickData` of
bot.core.clicks) is declared once with the roles a click on it needs and its handler, as a
`Click` in its handler module's `CLICKS`; the engine builds the registry from those.

A click is then a lookup: the id's kind, its typed value parsed in one place, the role check
(refused as a command is refused), the handler. An id of no declared kind, or one that does not
parse, is a stale button and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.conversation.commands import Deps, role_refusal
from bot.core.clicks import ClickData, head
from bot.core.domain import Role
from bot.core.messages import Clicked
from bot.flows.outcome import Outcome, Session

K = TypeVar("K", bound=ClickData)


@dataclass(frozen=True)
class Click(Generic[K]):
    """One declared kind of click: its id's type, what a click does, and who may click."""

    kind: type[K]
    # The click's typed id and its value (the `Choice.value` clicked).
    handler: Callable[[Deps, K, str, Session], Awaitable[Outcome]]
    roles: frozenset[Role] = frozenset()  # who may click; empty: everyone
    command: str = ""  # what the button stands for, named to someone without the roles
    refusal: str = ""  # instead of the command's refusal: this message's key

    def refused(self, s: Session) -> Outcome | None:
        """The answer to someone whose roles do not allow this click, or None when they do."""
        if not self.roles or s.may(*self.roles):
            return None
        if self.refusal:
            return Outcome().say(s.msgs(self.refusal))
        return role_refusal(self.roles, self.command, s)


class ClickRegistry:
    """Every kind of click, each declared once."""

    def __init__(self, clicks: Iterable[Click[Any]]) -> None:
        self._clicks: dict[str, Click[Any]] = {}
        for click in clicks:
            key = click.kind.head()
            if key in self._clicks:
                raise ValueError(f"button id {key!r} is declared twice")
            self._clicks[key] = click

    def __iter__(self) -> Iterator[Click[Any]]:
        return iter(self._clicks.values())

    @property
    def kinds(self) -> frozenset[type[ClickData]]:
        return frozenset(c.kind for c in self._clicks.values())

    def find(self, action: str) -> tuple[Click[Any], ClickData] | None:
        """The declared click `action` is an id of, with its typed value; None: no such id."""
        click = self._clicks.get(head(action))
        if click is None:
            return None
        data = click.kind.parse(action)
        return None if data is None else (click, data)

    async def run(self, ctx: Deps, event: Clicked, s: Session) -> Outcome:
        found = self.find(event.action)
        if found is None:
            return Outcome().say(s.msgs("poll.stale_click"))
        click, data = found
        if refused := click.refused(s):
            return refused
        return await click.handler(ctx, data, event.value, s)
