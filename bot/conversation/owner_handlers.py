"""The chat commands around theme owners: `owners`, `claim <theme>`, `owner <theme> <person>`,
and the answer to an invitation. Notices to other people go out after the commit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.content.draft_texts import draft_texts
from bot.content.guidance import unknown_theme
from bot.content.loader import Messages
from bot.content.themes import ThemeText, find_theme
from bot.conversation.commands import ParsedCommand
from bot.core.domain import OwnerState, Person, PersonKey, Role, ThemeOwner
from bot.core.messages import Message, Text
from bot.flows import owners as own
from bot.flows.session import After, Outcome, Reply, Session

if TYPE_CHECKING:
    from bot.conversation.engine import Bot


class OwnerHandlers:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.services = bot.services

    def _themes(self, s: Session) -> tuple[ThemeText, ...]:
        return draft_texts(self.bot.language_of(s.person)).themes

    def _theme(self, s: Session, word: str | None, usage: str) -> ThemeText | Outcome:
        themes = self._themes(s)
        if not word:
            return Outcome().say(s.msgs(usage))
        theme = find_theme(word, themes)
        return theme if theme is not None else Outcome().say(unknown_theme(word, themes, s.msgs))

    async def suggestions(self, s: Session) -> dict[str, list[str]]:
        """For leads and managers: colleagues whose discipline suits each open theme."""
        if not s.roles & {Role.CSR_LEAD, Role.MANAGER}:
            return {}
        key = s.person.key
        people = await self.services.store.people(key.platform, key.tenant)
        return {
            theme.key: own.candidates(theme, people, s.owners)
            for theme in self._themes(s)
            if theme.key not in s.owners
        }

    async def owners(self, command: ParsedCommand, s: Session) -> Outcome:
        card = own.owners_card(self._themes(s), s.owners, s.msgs, await self.suggestions(s))
        return Outcome(replies=[card])

    async def claim(self, command: ParsedCommand, s: Session) -> Outcome:
        theme = self._theme(s, command.args[0] if command.args else None, "owners.claim_usage")
        if isinstance(theme, Outcome):
            return theme
        current = s.owners.get(theme.key)
        if current is not None and current.person == s.person.key:
            if current.state is OwnerState.ACCEPTED:
                return Outcome().say(s.msgs("owners.yours", theme=theme.name))
        elif current is not None:
            name = current.display_name or current.person.user_id
            return Outcome().say(s.msgs("owners.taken", theme=theme.name, name=name))
        now = self.services.clock.now()
        claim = ThemeOwner(theme.key, s.person.key, OwnerState.PROPOSED, now, s.person.display_name)
        await self.services.store.set_theme_owner(claim)
        await self.bot.scheduler.plan_claim(claim)
        days = own.CLAIM_STANDS_AFTER.days
        outcome = Outcome().say(s.msgs("owners.claimed", theme=theme.name, days=days))
        name = s.person.display_name or s.person.key.user_id

        async def tell_leads(reply: Reply) -> None:
            for lead in await self._leads(s.person.key):
                msgs = await self._msgs_for(lead)
                text = msgs(
                    "owners.claimed_lead",
                    name=name,
                    theme=_theme_name(theme, msgs),
                    key=theme.key,
                    user=s.person.key.user_id,
                )
                await self._send(lead, Text(text))

        outcome.after = tell_leads
        return outcome

    async def assign(self, command: ParsedCommand, s: Session) -> Outcome:
        if not s.roles & {Role.CSR_LEAD}:
            return Outcome().say(s.msgs("roles.need_lead", command="owner", user=str(s.person.key)))
        if len(command.args) < 2:
            return Outcome().say(s.msgs("owners.owner_usage"))
        theme = self._theme(s, command.args[0], "owners.owner_usage")
        if isinstance(theme, Outcome):
            return theme
        word = command.args[1]
        found = await self.services.directory.resolve_audience(
            s.person.key.platform, s.person.key.tenant, [word], False
        )
        people = [p for p in found.people if not p.is_bot]
        if len(people) != 1:
            return Outcome().say(s.msgs("owners.unknown_person", word=word))
        person = await self.services.store.get_person(people[0].key) or people[0]
        name = person.display_name or person.key.user_id
        now = self.services.clock.now()
        current = s.owners.get(theme.key)
        if current is not None and current.person == person.key and current.invited_by is None:
            # Confirming a claim: the colleague asked for it, so no invitation is needed.
            accepted = replace(current, state=OwnerState.ACCEPTED, since=now)
            await self.services.store.set_theme_owner(accepted)
            await self.bot.scheduler.plan_owner_nudge(accepted)
            outcome = Outcome().say(s.msgs("owners.confirmed", name=name, theme=theme.name))
            outcome.after = self._welcome(person, theme, "owners.you_confirmed", s.person)
            return outcome
        invited = ThemeOwner(theme.key, person.key, OwnerState.PROPOSED, now, name, s.person.key)
        await self.services.store.set_theme_owner(invited)
        outcome = Outcome().say(s.msgs("owners.invited_sent", name=name, theme=theme.name))
        lead_name = s.person.display_name or s.person.key.user_id

        async def invite(reply: Reply) -> None:
            msgs = await self._msgs_for(person.key)
            theirs = find_theme(theme.key, draft_texts(msgs.language).themes) or theme
            await self._send(person.key, own.invitation(theirs, lead_name, msgs))

        outcome.after = invite
        return outcome

    async def answer_invitation(self, theme_key: str, value: str, s: Session) -> Outcome:
        """A click on Accept or Decline of an invitation to own a theme."""
        current = s.owners.get(theme_key)
        theme = find_theme(theme_key, self._themes(s))
        open_invitation = (
            current is not None
            and current.person == s.person.key
            and current.state is OwnerState.PROPOSED
            and current.invited_by is not None
        )
        if (
            theme is None
            or current is None
            or not open_invitation
            or value not in ("accept", "decline")
        ):
            return Outcome().say(s.msgs("owners.stale"))
        lead = current.invited_by
        assert lead is not None
        name = s.person.display_name or s.person.key.user_id
        if value == "decline":
            await self.services.store.remove_theme_owner(theme_key)
            outcome = Outcome().say(s.msgs("owners.declined_you", theme=theme.name))
            outcome.after = self._tell(lead, "owners.declined_lead", name, theme)
            return outcome
        accepted = replace(current, state=OwnerState.ACCEPTED, since=self.services.clock.now())
        await self.services.store.set_theme_owner(accepted)
        await self.bot.scheduler.plan_owner_nudge(accepted)
        outcome = Outcome().say(s.msgs("owners.accepted_you", theme=theme.name))
        fresh = await self.bot.session(s.person)
        if fresh.owner_next is not None and not (fresh.pending and fresh.poll is not None):
            outcome.replies.append(own.ask(fresh.owner_next, s.msgs))
        elif fresh.owner_next is not None:
            outcome.say(s.msgs("owners.later", theme=theme.name))
        outcome.after = self._tell(lead, "owners.accepted_lead", name, theme)
        return outcome

    # ------------------------------------------------------------------ notices to others

    def _tell(self, to: PersonKey, key: str, name: str, theme: ThemeText) -> After:
        async def tell(reply: Reply) -> None:
            msgs = await self._msgs_for(to)
            await self._send(to, Text(msgs(key, name=name, theme=_theme_name(theme, msgs))))

        return tell

    def _welcome(self, person: Person, theme: ThemeText, key: str, lead: Person) -> After:
        """Tells a new owner, and asks the first owner question unless their poll is waiting."""

        async def welcome(reply: Reply) -> None:
            msgs = await self._msgs_for(person.key)
            lead_name = lead.display_name or lead.key.user_id
            name = _theme_name(theme, msgs)
            await self._send(person.key, Text(msgs(key, lead=lead_name, theme=name)))
            session = await self.bot.session(person)
            if session.owner_next is None:
                return
            if session.pending and session.poll is not None:
                await self._send(person.key, Text(msgs("owners.later", theme=name)))
            else:
                await self._send(person.key, own.ask(session.owner_next, msgs))

        return welcome

    async def _leads(self, near: PersonKey) -> list[PersonKey]:
        leads = {k for k, role in await self.services.store.roles() if role is Role.CSR_LEAD}
        admins = self.services.settings.admins
        known = await self.services.store.people(near.platform, near.tenant)
        leads |= {p.key for p in known if str(p.key) in admins}
        return sorted(k for k in leads if k.platform == near.platform and k != near)

    async def _msgs_for(self, key: PersonKey) -> Messages:
        person = await self.services.store.get_person(key)
        language = (person.language if person else None) or self.services.settings.language
        return self.services.content.messages_for(language)

    async def _send(self, to: PersonKey, message: Message) -> None:
        try:
            await self.services.transport.send(to, message)
        except Exception:  # a notice that fails must not undo what was stored
            return


def _theme_name(theme: ThemeText, msgs: Messages) -> str:
    """The theme's name in the recipient's language."""
    theirs = find_theme(theme.key, draft_texts(msgs.language).themes)
    return theirs.name if theirs is not None else theme.name
