"""Slack incoming webhooks: every message posted is recorded, for tests and the demo to read."""
