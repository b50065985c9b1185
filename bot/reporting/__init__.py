"""Reporting: `status`, the manager digest and the policy draft (built from the stored answers,
rendered to Markdown and Word). Pure builders plus the few functions that load what they need
from the store. May import `bot.flows`, `bot.content` and `bot.core`.
"""
