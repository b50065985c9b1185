"""Platform adapters (console; Slack and Teams follow), the command line, the composition root."""
