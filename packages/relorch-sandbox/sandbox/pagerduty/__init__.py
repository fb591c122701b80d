"""Fake PagerDuty REST API v2: list and get incidents, with the 30-day default window."""
