"""The conversation and its commands: the engine every inbound event goes through, the command
registry (words in English and Dutch, roles, handler), the command handlers and the home view.
The top floor: it may import every other part of `bot/`, and nothing below imports it.
"""
