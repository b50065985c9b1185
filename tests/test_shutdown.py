"""`imvo-bot serve` stops within 10 s of SIGTERM, mid fan-out, while every Web API call takes
12 s and a reply is in flight, and hands back what it holds: no invitation left claimed (only
those whose send was under way stay `sending`, for the next replica to confirm), no job left
claimed."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

import aiohttp

from tests.fake_slack import FakeSlack, dm_event
from tests.test_replicas import Replica, fake, invitations, post, serve_env, slash  # noqa: F401

GRACE = 10.0  # seconds a container platform commonly allows after SIGTERM


async def test_sigterm_mid_fan_out_stops_within_ten_seconds_and_hands_back_its_claims(
    tmp_path: Path,
    fake: FakeSlack,  # noqa: F811
) -> None:
    fake.post_delay = 12.0  # a platform this slow keeps sends and replies in flight at SIGTERM
    database = tmp_path / "bot.db"
    env = serve_env(f"sqlite:///{database}", fake)
    replica = Replica("a", env, tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            await replica.healthy(http)
            form = "application/x-www-form-urlencoded"
            assert await post(http, replica, slash("ULEAD", "start all", 1, fake), form) == 200
            deadline = time.monotonic() + 60
            while sum(invitations(fake).values()) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            # A person writes: the reply is a slow chat.postMessage still in flight at SIGTERM.
            assert await post(http, replica, dm_event("U0001", "1", "EvLate"), "application/json")
            began = time.monotonic()
            replica.process.send_signal(signal.SIGTERM)
            while replica.process.poll() is None and time.monotonic() - began < 30:
                await asyncio.sleep(0.05)
            took = time.monotonic() - began
    finally:
        replica.stop()
    print(f"stopped in {took:.1f} s")
    assert took < GRACE, f"serve took {took:.1f} s to stop\n{replica.tail()}"
    assert replica.process.returncode == 0, replica.tail()
    with sqlite3.connect(database) as db:
        held = db.execute(
            "SELECT state, COUNT(*) FROM outbox WHERE state = 'claimed'"
            " OR (state = 'pending' AND owner IS NOT NULL) GROUP BY state"
        ).fetchall()
        jobs = db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'claimed'").fetchone()[0]
        pending = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
    assert held == [], held
    assert jobs == 0
    assert pending > 0  # the fan-out was really cut short, and what is left waits for a replica
