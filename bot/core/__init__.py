"""The ground floor: the domain values (`domain`), the neutral messages and events (`messages`),
the typed id of every kind of button (`clicks`), the ports the core owns (`ports`: store,
transport, directory, clock, draft sink), the settings, the text checks and the working-time
maths. Everything else in `bot/` builds on this; it imports nothing from the rest of `bot/`.
"""
