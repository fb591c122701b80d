"""The fake Sentry release-health sessions API, mounted at /sentry."""
