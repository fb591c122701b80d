"""Stateful local fakes of the release orchestrator's providers, served over real HTTP.

Deliberately empty of imports: `sandbox.control` (a plain HTTP client) must be importable
without pulling in the server stack. Start a server with `sandbox.server.start_sandbox`.
"""
