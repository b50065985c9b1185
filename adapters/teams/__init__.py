"""The Microsoft Teams adapter: botbuilder inbound, Adaptive Cards outbound, proactive messages."""
