"""What every conversation shares: the typed session of the person behind an event and how it
is loaded, the per-person locks, the `Outcome` a handler returns, and the pure flows (the poll,
the theme owners' questionnaire, forget-me). The engine, the command handlers, the scheduler and
the home view all build on this, so none of them calls back up into another. May import
`bot.content` and `bot.core`.
"""
