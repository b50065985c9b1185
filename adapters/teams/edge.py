"""The edge of the Teams endpoint: the bearer token's form and the activity's shape are checked
before botbuilder sees the request.

- With credentials, an `Authorization` header that is not `Bearer <a JWT>` gets 401 at once
  (botbuilder itself would let a decoding error escape as a 500).
- The body must be one activity of the shape the adapter reads (msgspec models: types, sizes,
  nesting); anything else gets 400 with the reason, and nothing is changed.
- An activity that passes is handed on as decoded (`Verdict.activity`): the adapter reads it
  (`adapters.teams.inbound`) and never decodes the body again.

Unknown activity types pass: botbuilder authenticates them and the adapter ignores them (200).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from adapters.nesting import depth

MAX_DEPTH = 20  # an Adaptive Card's submitted data or channel data nests a few levels at most

# Ids, names and addresses: printable, bounded. A control character is never in a real one and
# must never reach the database or a log; ids (which the bot echoes back in its replies) hold no
# spaces, brackets or quotes either.
Id = Annotated[str, msgspec.Meta(pattern=r"^[^\s\x00-\x1f\x7f<>\[\]()\"'`]{1,512}$")]
Name = Annotated[str, msgspec.Meta(pattern=r"^[^\x00-\x1f\x7f]{0,256}$")]
Url = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s\x00-\x1f\x7f]{1,1000}$")]
Short = Annotated[str, msgspec.Meta(pattern=r"^[^\x00-\x1f\x7f]{0,100}$")]

_BEARER = re.compile(r"^Bearer [A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*$")


class Account(msgspec.Struct, rename="camel", frozen=True):
    """A person or bot in an activity (`from`, `recipient`, `membersAdded`)."""

    id: Id
    name: Name | None = None
    aad_object_id: Id | None = None
    role: Short | None = None


class Conversation(msgspec.Struct, rename="camel", frozen=True):
    """The conversation an activity belongs to: a personal chat, a group chat or a channel."""

    id: Id
    conversation_type: Short | None = None
    tenant_id: Id | None = None
    is_group: bool | None = None


class Activity(msgspec.Struct, rename="camel", frozen=True):
    """What `adapters.teams.inbound` reads of an activity."""

    type: Short
    id: Id | None = None
    service_url: Url | None = None
    channel_id: Short | None = None
    from_: Account | None = msgspec.field(name="from", default=None)
    recipient: Account | None = None
    conversation: Conversation | None = None
    channel_data: dict[str, Any] | None = None
    text: str | None = None
    value: Any = None
    locale: Short | None = None
    members_added: tuple[Account, ...] | None = None
    reply_to_id: Id | None = None
    name: Short | None = None
    action: Short | None = None


# Activities the adapter acts on need to say who sent them and where.
ADDRESSED = frozenset({"message", "conversationUpdate", "installationUpdate", "invoke"})


@dataclass(frozen=True)
class Verdict:
    """What the edge made of a body: a status to refuse it with, or the activity it holds."""

    status: int | None  # None: hand the request on to botbuilder
    reason: str = ""
    activity: Activity | None = None  # as decoded, when it passed

    @property
    def passes(self) -> bool:
        return self.status is None

    @property
    def service_url(self) -> str | None:
        """Where the activity says replies go (checked before botbuilder talks to it)."""
        return self.activity.service_url if self.activity is not None else None


def bearer_ok(header: str | None) -> bool:
    """Whether `Authorization` has the form of a bearer JWT (botbuilder then checks it)."""
    return bool(header) and _BEARER.match(header or "") is not None


def inspect(raw: bytes) -> Verdict:
    """Checks a body against the activity shape the adapter reads."""
    try:
        activity = msgspec.json.decode(raw, type=Activity)
    except RecursionError:
        return Verdict(400, "not an activity: nested too deeply")
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return Verdict(400, f"not an activity: {str(exc)[:200]}")
    wrong = _wrong(activity)
    return Verdict(None, activity=activity) if wrong is None else Verdict(400, wrong)


def _wrong(activity: Activity) -> str | None:
    """What the types alone do not say is wrong with a decoded activity, if anything."""
    for field, value in (("value", activity.value), ("channelData", activity.channel_data)):
        if depth(value, MAX_DEPTH) > MAX_DEPTH:
            return f"not an activity: `{field}` is nested too deeply"
    if activity.type in ADDRESSED and not _addressed(activity):
        return f"a {activity.type} activity without from, conversation or serviceUrl"
    tenant = (activity.channel_data or {}).get("tenant")
    if tenant is not None and not (isinstance(tenant, dict) and _is_text(tenant.get("id"))):
        return "not an activity: channelData.tenant is not {id: text}"
    return None


def _addressed(activity: Activity) -> bool:
    """Whether an activity says who sent it, where, and where replies go."""
    return not (
        activity.from_ is None or activity.conversation is None or activity.service_url is None
    )


def _is_text(value: Any) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= 512)
