"""The fake App Store Connect API (JSON:API, ES256 JWT auth), mounted at /appstore."""
