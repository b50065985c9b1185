"""Content and guidance: the one door through which the core reads `content/` (the TOML files a
CSR lead can edit), the typed themes, instruments, briefings and texts made from it, the guidance
messages shown in chat, and the content check. May import `bot.core` only.
"""
