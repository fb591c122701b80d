"""Fake Cloudflare API v4: Workers scripts, versions, deployments, secrets, analytics GraphQL."""
