"""The chat commands: help, start, status, draft, language, stop, skip and back.

Each handler reads what it needs and returns an Outcome; the engine commits it and replies.
Slow work (sending the poll to an audience, compiling a draft) runs in `Outcome.after`, after
the command itself has been stored and acknowledged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from bot.campaigns.fanout import invite
from bot.content import guidance as guide
from bot.content.briefings import briefings
from bot.content.draft_texts import draft_texts
from bot.content.themes import find_theme
from bot.conversation.commands import ParsedCommand
from bot.core.domain import LANGUAGES, Campaign, Person, PersonKey, Role, ThemeOwner
from bot.core.messages import Card, CardSection, FileShare
from bot.flows import privacy
from bot.flows.poll import resume
from bot.flows.session import Outcome, Reply, Session
from bot.reporting.compile import compile_draft
from bot.reporting.digests import compose_digest, remember
from bot.reporting.status import status_card

if TYPE_CHECKING:
    from bot.conversation.engine import Bot

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")


def parse_date(word: str) -> date | None:
    """`2026-12-15` or `15-12-2026`; None when the word is no date."""
    if m := _ISO_DATE.match(word):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _DUTCH_DATE.match(word):
        d, mo, y = (int(g) for g in m.groups())
    else:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


class CommandHandlers:
    """Runs parsed commands for the engine."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.services = bot.services
        self._everyone = {
            w for m in bot.services.content.messages.values() for w in m.words("words.everyone")
        }
        self._deadline_words = {
            w for m in bot.services.content.messages.values() for w in m.words("words.deadline")
        }
        self._words = {
            name: {
                w
                for m in bot.services.content.messages.values()
                for w in m.words(f"guidance.{name}")
            }
            for name in [f"part_{p}" for p in guide.PARTS] + [f"topic_{t}" for t in guide.TOPICS]
        }

    async def run(self, command: ParsedCommand, s: Session) -> Outcome:
        handler = {
            "help": self.help,
            "start": self.start,
            "status": self.status,
            "draft": self.draft,
            "language": self.language,
            "stop": self.stop,
            "skip": self.skip,
            "back": self.back,
            "guidance": self.guidance,
            "mydata": self.mydata,
            "owners": self.bot.owner_handlers.owners,
            "claim": self.bot.owner_handlers.claim,
            "owner": self.bot.owner_handlers.assign,
            "digest": self.digest,
            "forget": self.forget,
        }.get(command.name)
        if handler is None:
            return Outcome().say(s.msgs("commands.unknown", word=command.word))
        return await handler(command, s)

    def _denied(self, s: Session, command: str, *allowed: Role) -> Outcome | None:
        if s.roles & set(allowed):
            return None
        key = "roles.need_lead" if allowed == (Role.CSR_LEAD,) else "roles.need_lead_or_manager"
        return Outcome().say(s.msgs(key, command=command, user=str(s.person.key)))

    # ---------------------------------------------------------------- everyone

    async def help(self, command: ParsedCommand, s: Session) -> Outcome:
        msgs = s.msgs
        sections = [CardSection(title=msgs("help.everyone_title"), body=msgs("help.everyone"))]
        if Role.CSR_LEAD in s.roles:
            sections.append(CardSection(title=msgs("help.lead_title"), body=msgs("help.lead")))
        elif Role.MANAGER in s.roles:
            sections.append(
                CardSection(title=msgs("help.manager_title"), body=msgs("help.manager"))
            )
        sections.append(CardSection(body=msgs("help.poll")))
        card = Card(title=msgs("help.title"), sections=tuple(sections))
        return Outcome(replies=[card])

    async def language(self, command: ParsedCommand, s: Session) -> Outcome:
        choice = command.args[0].lower() if command.args else ""
        if choice not in LANGUAGES:
            return Outcome().say(s.msgs("language.usage"))
        msgs = self.services.content.messages_for(choice)
        person = replace(s.person, language=choice)
        outcome = Outcome(person=person).say(msgs("language.set"))
        if s.poll is not None and s.state is not None and s.pending:
            # Re-ask the pending question in the new language.
            questions = self.services.content.questions_for(choice)
            poll = replace(s.poll, questions=questions, msgs=msgs)
            outcome.replies.append(resume(poll, s.state))
        return outcome

    async def guidance(self, command: ParsedCommand, s: Session) -> Outcome:
        """`guidance`, `guidance <theme> [examples|references]` or `guidance <topic>`."""
        language = self.bot.language_of(s.person)
        themes = draft_texts(language).themes
        if not command.args:
            return Outcome(replies=[guide.theme_list(themes, await self._owners(), s.msgs)])
        word = command.args[0]
        topic = self._named(word, "topic_", guide.TOPICS)
        if topic is not None:
            return Outcome(replies=[guide.topic_card(topic, briefings(language), s.msgs)])
        theme = find_theme(word, themes)
        if theme is None:
            return Outcome().say(guide.unknown_theme(word, themes, s.msgs))
        if len(command.args) > 1:
            part = self._named(command.args[1], "part_", guide.PARTS)
            if part is None:
                return Outcome().say(s.msgs("guidance.unknown_part", key=theme.key))
            return Outcome(replies=[guide.theme_part(theme, part, s.msgs)])
        owner = guide.owner_text(theme, await self._owners(), s.msgs)
        return Outcome(replies=[guide.theme_snippet(theme, owner, s.msgs)])

    async def guidance_click(self, context: str, value: str, s: Session) -> Outcome:
        """A click on the theme list, a snippet's Examples / References, or an offered topic."""
        if context in (guide.LIST_CONTEXT, guide.TOPIC_CONTEXT):
            args: tuple[str, ...] = (value,)
        else:
            args = (context[len(guide.PART_CONTEXT) :], value)
        return await self.guidance(ParsedCommand("guidance", args), s)

    def _named(self, word: str, prefix: str, names: tuple[str, ...]) -> str | None:
        lowered = word.lower()
        return next((n for n in names if lowered in self._words[prefix + n]), None)

    async def _owners(self) -> dict[str, ThemeOwner]:
        return {o.theme: o for o in await self.services.store.theme_owners()}

    async def mydata(self, command: ParsedCommand, s: Session) -> Outcome:
        data = await self.services.store.person_data(s.person.key)
        exported = privacy.export_json(data, self.services.clock.now())
        outcome = Outcome().say(privacy.summary(data, s.msgs))
        outcome.say(s.msgs("privacy.export_intro") + "\n" + exported)
        return outcome

    async def forget(self, command: ParsedCommand, s: Session) -> Outcome:
        if command.args:
            return Outcome().say(s.msgs("privacy.only_yourself"))
        data = await self.services.store.person_data(s.person.key)
        return Outcome(replies=[privacy.confirmation(data, s.msgs, self.services.clock.now())])

    async def forget_click(self, value: str, s: Session) -> Outcome:
        decision = privacy.confirmed(value, self.services.clock.now())
        if decision is None:
            return Outcome().say(s.msgs("privacy.expired"))
        if not decision:
            return Outcome().say(s.msgs("privacy.kept"))
        erasure = await self.services.store.erase_person(s.person.key)
        return Outcome(erased=True).say(privacy.erased_text(erasure, s.msgs))

    async def skip(self, command: ParsedCommand, s: Session) -> Outcome:
        return self.bot.poll_skip(s)

    async def back(self, command: ParsedCommand, s: Session) -> Outcome:
        return self.bot.poll_back(s)

    # ---------------------------------------------------------------- leads

    async def start(self, command: ParsedCommand, s: Session) -> Outcome:
        if denied := self._denied(s, "start", Role.CSR_LEAD):
            return denied
        msgs = s.msgs
        if not command.args:
            return Outcome().say(msgs("start.usage"))
        if s.campaign is not None:
            return Outcome().say(msgs("start.already_running", id=s.campaign.id))
        today = self.services.clock.now().date()
        deadline: date | None = None
        words: list[str] = []
        for word in command.args:
            if word.lower() in self._deadline_words:
                continue
            when = parse_date(word)
            if when is None and re.fullmatch(r"[\d-]+", word) and "-" in word:
                return Outcome().say(msgs("start.bad_date", word=word))
            if when is not None:
                if when < today:
                    return Outcome().say(msgs("start.deadline_past", date=when.isoformat()))
                deadline = when
            else:
                words.append(word)
        everyone = any(w.lower() in self._everyone for w in words)
        named = [w for w in words if w.lower() not in self._everyone]
        key = s.person.key
        found = await self.services.directory.resolve_audience(
            key.platform, key.tenant, named, everyone
        )
        people = _unique(p for p in found.people if not p.is_bot)
        unknown = ", ".join(found.unknown)
        if not people:
            return Outcome().say(msgs("start.nobody", unknown=unknown or "-"))
        campaign = await self.services.store.create_campaign(
            platform=key.platform,
            tenant=key.tenant,
            started_by=key,
            started_at=self.services.clock.now(),
            language=self.bot.language_of(s.person),
            deadline=deadline,
            audience=[p.key for p in people],
        )
        outcome = Outcome()
        until = deadline.isoformat() if deadline else msgs("start.no_deadline")
        outcome.say(msgs("start.started", id=campaign.id, count=len(people), deadline=until))
        if unknown:
            outcome.say(msgs("start.unknown", unknown=unknown))

        await self.bot.scheduler.plan_campaign(campaign, people)

        async def fan_out(reply: Reply) -> None:
            await invite(self.services, campaign, people, s.person, reply)

        outcome.after = fan_out
        return outcome

    async def stop(self, command: ParsedCommand, s: Session) -> Outcome:
        if denied := self._denied(s, "stop", Role.CSR_LEAD):
            return denied
        if s.campaign is None:
            return Outcome().say(s.msgs("stop.none"))
        await self.services.store.close_campaign(s.campaign.id, self.services.clock.now())
        return Outcome().say(s.msgs("stop.done", id=s.campaign.id))

    async def _campaign_for_report(self, s: Session) -> Campaign | None:
        if s.campaign is not None:
            return s.campaign
        latest = await self.services.store.latest_campaign()
        key = s.person.key
        if latest is not None and (latest.platform, latest.tenant) == (key.platform, key.tenant):
            return latest
        return None

    async def status(self, command: ParsedCommand, s: Session) -> Outcome:
        if denied := self._denied(s, "status", Role.CSR_LEAD, Role.MANAGER):
            return denied
        campaign = await self._campaign_for_report(s)
        if campaign is None:
            return Outcome().say(s.msgs("status.none"))
        store = self.services.store
        card = status_card(
            campaign=campaign,
            participants=await store.participants(campaign.id),
            answers=await store.answers(campaign.id),
            owners=await store.theme_owners(),
            questions=self.services.content.questions_for(self.bot.language_of(s.person)),
            msgs=s.msgs,
            today=self.services.clock.now().date(),
            themes=draft_texts(self.bot.language_of(s.person)).themes,
            suggestions=await self.bot.owner_handlers.suggestions(s),
            waiting=(await store.outbox_counts(campaign.id)).get("pending", 0),
        )
        return Outcome(replies=[card])

    async def digest(self, command: ParsedCommand, s: Session) -> Outcome:
        if denied := self._denied(s, "digest", Role.CSR_LEAD, Role.MANAGER):
            return denied
        campaign = await self._campaign_for_report(s)
        if campaign is None:
            return Outcome().say(s.msgs("status.none"))
        language = self.bot.language_of(s.person)
        built = await compose_digest(self.services, campaign, language, str(s.person.key))
        await remember(self.services, campaign, str(s.person.key), built)
        return Outcome(replies=[built.card])

    async def draft(self, command: ParsedCommand, s: Session) -> Outcome:
        if denied := self._denied(s, "draft", Role.CSR_LEAD):
            return denied
        campaign = await self._campaign_for_report(s)
        if campaign is None:
            return Outcome().say(s.msgs("draft.none"))
        msgs = s.msgs

        async def compile_and_share(reply: Reply) -> None:
            result = await compile_draft(self.services, campaign, campaign.language)
            missing = "\n".join(f"- {item}" for item in result.draft.open_items)
            text = msgs("draft.ready", id=campaign.id, respondents=result.respondents)
            if missing:
                text += "\n" + msgs("draft.missing", items=missing)
            await reply(FileShare(text=text, files=result.files, locations=result.locations))

        outcome = Outcome().say(msgs("draft.compiling", id=campaign.id))
        outcome.after = compile_and_share
        return outcome


def _unique(people: Iterable[Person]) -> list[Person]:
    seen: set[PersonKey] = set()
    result: list[Person] = []
    for person in people:
        if person.key not in seen:
            seen.add(person.key)
            result.append(person)
    return result
