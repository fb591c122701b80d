"""Fake GitHub: REST (pulls, reviews, checks, statuses, protection, rulesets, deployments), GraphQL."""
