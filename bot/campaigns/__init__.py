"""Campaigns over time: the durable outbox of invitations and its shared pace, the fan-out that
tells the lead how it went, and the scheduler (reminders, owner nudges, claims that stand, weekly
digests). May import `bot.reporting`, `bot.flows`, `bot.content` and `bot.core`.
"""
