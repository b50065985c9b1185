"""The storage contract for decisions on the policy (`Effects.decisions`, `DecisionStore`), run
on every store backend: written in a turn, read back by subject, replaced (keeping the version
it first appeared in only while what was decided stays the same), marked by a compile, kept
through a person's erasure without naming them, and carried up from a version-15 database.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.decisions import POLICY_SUBJECTS, Decision, DecisionState, theme_subject
from bot.core.domain import (
    PersonKey,
)
from bot.core.ports import Store
from bot.core.turns import Effects, EventKey, Turn
from bot.core.validation import MAX_ANSWER_CHARS
from bot.flows.privacy import export_json
from storage.turns import WRITERS
from tests.campaigns import ANN, BOB, LEAD, T0, campaign_at_version, create_campaign
from tests.stores import opened

LATER = T0 + timedelta(days=2)


def proposed(campaign_id: int, *choices: str, own: tuple[str, ...] = ()) -> Decision:
    """Ann, owner of child labour, proposes commitments for her theme."""
    return Decision(
        campaign_id=campaign_id,
        subject=theme_subject("child-labour"),
        state=DecisionState.PROPOSED,
        decided_by=ANN,
        decided_by_name="Ann de Vries",
        decided_at=T0,
        choices=choices,
        own=own,
    )


def mission(campaign_id: int, text: str) -> Decision:
    return Decision(
        campaign_id=campaign_id,
        subject="mission",
        state=DecisionState.CONFIRMED,
        decided_by=LEAD,
        decided_by_name="Lea",
        decided_at=T0,
        text=text,
    )


async def decide(store: Store, event: str, *decisions: Decision) -> None:
    turn = Turn(EventKey("slack", event), Effects(decisions=decisions), at=T0)
    assert await store.commit_turn(turn) is not None


# the value


def test_a_decision_names_a_subject_of_the_policy() -> None:
    assert proposed(1, "age-check").theme == "child-labour"
    assert mission(1, "Wij maken kleding.").theme is None
    assert {"mission", "purchasing", "grievance", "policy_owner", "review"} <= set(POLICY_SUBJECTS)
    for subject in ("theme:", "missie", "", "theme"):
        with pytest.raises(ValueError, match="not a subject"):
            replace(mission(1, "x"), subject=subject)


def test_a_decision_refuses_empty_keys_and_text_longer_than_an_answer() -> None:
    with pytest.raises(ValueError, match="empty"):
        proposed(1, "age-check", "")
    with pytest.raises(ValueError, match="empty"):
        proposed(1, own=("  ",))
    with pytest.raises(ValueError, match=str(MAX_ANSWER_CHARS)):
        mission(1, "w" * (MAX_ANSWER_CHARS + 1))
    with pytest.raises(ValueError, match=str(MAX_ANSWER_CHARS)):
        proposed(1, own=("w" * (MAX_ANSWER_CHARS + 1),))
    assert mission(1, "w" * MAX_ANSWER_CHARS).text


def test_decisions_are_a_kind_of_change_of_a_turn_and_add_up() -> None:
    assert "decisions" in WRITERS
    first, second = proposed(1, "age-check"), mission(1, "Wij maken kleding.")
    assert Effects(decisions=(first,)) + Effects(decisions=(second,)) == Effects(
        decisions=(first, second)
    )


# the store


async def test_decisions_written_in_a_turn_come_back_by_subject(store: Store) -> None:
    campaign = await create_campaign(store, [ANN, BOB])
    other = await create_campaign(store, [ANN])
    own = ('Wij bezoeken elke "nieuwe" fabriek zelf 🚧', "Wij\nbetalen herstel.")
    theme = proposed(campaign.id, "age-check", "remediation-plan", own=own)
    said = mission(campaign.id, "Wij maken kleding zonder schade.")

    await decide(store, "Ev1", theme, said)

    assert await store.decisions(campaign.id) == [said, theme]  # "mission" < "theme:…"
    assert await store.decisions(other.id) == []


async def test_a_repeated_event_decides_nothing_more(store: Store) -> None:
    campaign = await create_campaign(store, [ANN])
    await decide(store, "Ev1", mission(campaign.id, "Eerste."))
    again = Turn(EventKey("slack", "Ev1"), Effects(decisions=(mission(campaign.id, "Tweede."),)))
    assert await store.commit_turn(again) is None
    assert [d.text for d in await store.decisions(campaign.id)] == ["Eerste."]


async def test_a_new_decision_replaces_the_old_and_keeps_its_version_only_if_unchanged(
    store: Store,
) -> None:
    campaign = await create_campaign(store, [ANN])
    await decide(store, "Ev1", proposed(campaign.id, "age-check", own=("Wij tellen.",)))
    assert await store.mark_first_version(campaign.id, 2) == 1

    # The lead confirms what Ann proposed, unchanged: it first appeared in version 2 still.
    confirmed = replace(
        proposed(campaign.id, "age-check", own=("Wij tellen.",)),
        state=DecisionState.CONFIRMED,
        decided_by=LEAD,
        decided_by_name="Lea",
        decided_at=LATER,
    )
    await decide(store, "Ev2", confirmed)
    assert await store.decisions(campaign.id) == [replace(confirmed, first_version=2)]

    # A change of choices, own words or text is new: the next compile records its version.
    for n, changed in enumerate(
        (
            replace(confirmed, choices=("age-check", "remediation-plan")),
            replace(confirmed, choices=("age-check", "remediation-plan"), own=()),
            replace(confirmed, choices=("age-check", "remediation-plan"), own=(), text="Ook."),
        )
    ):
        await decide(store, f"Ev{3 + n}", changed)
        assert await store.decisions(campaign.id) == [changed]  # first_version None
        assert await store.mark_first_version(campaign.id, 3 + n) == 1
        assert (await store.decisions(campaign.id))[0].first_version == 3 + n


async def test_marking_the_first_version_touches_only_unmarked_decisions_of_the_campaign(
    store: Store,
) -> None:
    campaign = await create_campaign(store, [ANN])
    other = await create_campaign(store, [ANN])
    await decide(store, "Ev1", mission(campaign.id, "Wij maken kleding."))
    assert await store.mark_first_version(campaign.id, 1) == 1
    await decide(store, "Ev2", proposed(campaign.id, "age-check"), mission(other.id, "Anders."))

    assert await store.mark_first_version(campaign.id, 2) == 1
    assert await store.mark_first_version(campaign.id, 3) == 0

    versions = {d.subject: d.first_version for d in await store.decisions(campaign.id)}
    assert versions == {"mission": 1, "theme:child-labour": 2}
    assert [d.first_version for d in await store.decisions(other.id)] == [None]


async def test_erasing_the_decider_keeps_the_decision_without_them(store: Store) -> None:
    campaign = await create_campaign(store, [ANN, BOB])
    theme = proposed(campaign.id, "age-check", own=("Wij tellen.",))
    await decide(store, "Ev1", theme, mission(campaign.id, "Wij maken kleding."))

    exported = json.loads(export_json(await store.person_data(ANN), LATER))
    [row] = exported["other_records"]["decisions"]
    assert (row["subject"], row["state"]) == ("theme:child-labour", "proposed")
    assert json.loads(row["choices"]) == ["age-check"]

    erasure = await store.erase_person(ANN)

    assert erasure.records >= 1
    lead_decides, kept = await store.decisions(campaign.id)
    assert kept == replace(theme, decided_by=PersonKey("slack", "T1", ""), decided_by_name="")
    assert lead_decides.decided_by == LEAD and lead_decides.decided_by_name == "Lea"
    assert "decisions" not in json.loads(export_json(await store.person_data(ANN), LATER)).get(
        "other_records", {}
    )


async def test_a_version_15_database_gains_decisions(store_url: str) -> None:
    campaign = await campaign_at_version(store_url, 15, [ANN, BOB])
    async with opened(store_url) as store:
        assert await store.decisions(campaign.id) == []
        await decide(store, "Ev1", mission(campaign.id, "Wij maken kleding."))
        assert [d.text for d in await store.decisions(campaign.id)] == ["Wij maken kleding."]
        assert await store.get_campaign(campaign.id) == campaign
