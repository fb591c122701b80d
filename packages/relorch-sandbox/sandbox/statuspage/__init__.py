"""Fake Atlassian Statuspage public pages (Cloudflare's and GitHub's): components, maintenances,
incidents, served read-only under /statuspage/{page}/api/v2/..."""
