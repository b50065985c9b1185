"""The Slack adapter: Bolt inbound, Block Kit outbound, people and audiences."""
