"""A person's home view (Slack App Home): progress, owned themes, and what their role may do;
and a click on its buttons."""

from __future__ import annotations

from bot.conversation.clicks import Click
from bot.conversation.commands import Deps, ParsedCommand
from bot.core.clicks import HomeClick
from bot.core.domain import OwnerState, Person, Role
from bot.core.messages import Card, CardSection, Choice
from bot.flows import steps
from bot.flows.loading import Sessions
from bot.flows.outcome import Outcome, Session

# The commands the home view's buttons run (their roles apply); `continue` resumes the poll.
BUTTON_COMMANDS = ("guidance", "status", "draft", "digest")


async def home_card(sessions: Sessions, person: Person) -> Card:
    session = await sessions.load(person)
    msgs = session.msgs
    sections: list[CardSection] = []
    actions: list[Choice] = []
    if (poll := session.asking) is not None:
        n, total = poll.state.step + 1, len(poll.inputs.questions)
        sections.append(
            CardSection(
                title=msgs("home.poll_title"), body=msgs("home.poll_pending", n=n, total=total)
            )
        )
        actions.append(Choice("continue", msgs("home.continue")))
    elif session.poll is not None:
        sections.append(CardSection(title=msgs("home.poll_title"), body=msgs("home.poll_done")))
    else:
        sections.append(CardSection(title=msgs("home.poll_title"), body=msgs("home.poll_none")))
    themes = {t.key: t.name for t in session.pack.themes}
    mine = [
        themes.get(o.theme, o.theme)
        for o in session.owners.values()
        if o.person == person.key and o.state is OwnerState.ACCEPTED
    ]
    if mine:
        sections.append(CardSection(title=msgs("home.themes_title"), body=", ".join(mine)))
    actions.append(Choice("guidance", msgs("home.guidance")))
    if Role.CSR_LEAD in session.roles:
        sections.append(CardSection(title=msgs("home.lead_title"), body=msgs("home.lead")))
        actions += [Choice("status", msgs("home.status")), Choice("draft", msgs("home.draft"))]
    elif Role.MANAGER in session.roles:
        sections.append(CardSection(title=msgs("home.manager_title"), body=msgs("home.manager")))
        actions += [Choice("digest", msgs("home.digest")), Choice("status", msgs("home.status"))]
    title = msgs("home.title")
    fallback = "\n\n".join([title, *(s.plain() for s in sections)])
    return Card(
        title=title,
        sections=tuple(sections),
        actions=tuple(actions),
        action=HomeClick().encode(),
        fallback=fallback,
    )


async def home_click(ctx: Deps, click: HomeClick, value: str, s: Session) -> Outcome:
    """A button of the home view: continue the poll, or run a command (roles apply)."""
    if value == "continue":
        question = steps.waiting(s)
        if question is None:
            return Outcome().say(s.msgs("poll.nothing_to_skip"))
        return Outcome(replies=[question])
    if value not in BUTTON_COMMANDS:
        return Outcome().say(s.msgs("poll.stale_click"))
    return await ctx.commands.run(ctx, ParsedCommand(value), s)


CLICKS = (Click(HomeClick, home_click),)
