"""The console adapter: the bot in a terminal, and the platform-free demo."""
