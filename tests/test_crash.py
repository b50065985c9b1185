"""A person killed mid-poll (kill -9 of the process) loses no acknowledged answer."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from storage import open_store

ROOT = Path(__file__).resolve().parents[1]


def _read_until(proc: subprocess.Popen[bytes], marker: str, timeout: float = 30) -> str:
    """Reads the process's output until `marker` appears (the bot's acknowledgement)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} in output: {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 65536)  # unbuffered: select() and the data agree
            assert chunk, f"process ended before {marker!r}: {seen!r}"
            seen += chunk
    return seen.decode()


def _chat(tmp_path: Path, user: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMVO_")}
    env.update({"IMVO_DATABASE_URL": f"sqlite:///{tmp_path / 'crash.db'}", "PYTHONPATH": str(ROOT)})
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--user", user, "--lang", "en", *extra],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


async def test_kill_9_mid_poll_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    lead = _chat(tmp_path, "sanne", "--role", "csr_lead")
    lead.communicate(b"start anna\n", timeout=60)
    assert lead.returncode == 0

    anna = _chat(tmp_path, "anna")
    assert anna.stdin is not None
    _read_until(anna, "[1/9]")
    anna.stdin.write(b"4\n")
    anna.stdin.flush()  # discipline: marketing
    _read_until(anna, "[2/9]")
    anna.stdin.write(b"A mission worth keeping.\n")
    anna.stdin.flush()
    _read_until(anna, "[3/9]")
    anna.stdin.write(b"Goals that survive a crash.\n")
    anna.stdin.flush()
    _read_until(anna, "[4/9]")  # acknowledged: the answer was stored before this reply
    os.kill(anna.pid, signal.SIGKILL)
    anna.wait(timeout=10)
    assert anna.returncode == -signal.SIGKILL

    store = await open_store(f"sqlite:///{tmp_path / 'crash.db'}")
    try:
        campaign = await store.latest_campaign()
        assert campaign is not None
        from adapters.console.transport import console_key

        stored = {
            a.question_id: a for a in await store.answers_of(campaign.id, console_key("anna"))
        }
    finally:
        await store.close()
    assert stored["discipline"].choices == ("marketing",)
    assert stored["mission"].text == "A mission worth keeping."
    assert stored["goals"].text == "Goals that survive a crash."

    again = _chat(tmp_path, "anna")
    raw, _ = again.communicate(b"Through sourcing.\n", timeout=60)
    out = raw.decode()
    assert "Welcome back" in out
    assert out.index("[4/9]") < out.index("[5/9]")
