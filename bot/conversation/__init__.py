"""The conversation and its commands: the engine every inbound event goes through, the command
registry (words in English and Dutch, roles, handler), the click registry (each kind of button's
roles and handler), the handlers and the home view.
The top floor: it may import every other part of `bot/`, and nothing below imports it.
"""
