"""The GraphQL documents the clients send, kept verbatim in one place so tests can check them."""

from __future__ import annotations

__all__ = ["CLOUDFLARE_INVOCATIONS_QUERY", "GITHUB_REVIEW_STATE_QUERY"]

# One page of review threads; the client follows pageInfo with $cursor.
GITHUB_REVIEW_STATE_QUERY = """\
query ReviewState($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewDecision
      reviewThreads(first: 100, after: $cursor) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          isResolved
          isOutdated
          path
          comments(first: 1) { nodes { author { login } body } }
        }
      }
    }
  }
}
"""

# Grouped by status only, so a window of any length comes back in a handful of rows (the limit
# applies to rows); the client sums requests and errors over all of them.
CLOUDFLARE_INVOCATIONS_QUERY = """\
query WorkerInvocationTotals($accountTag: string, $scriptName: string, $start: string, $end: string) {
  viewer {
    accounts(filter: {accountTag: $accountTag}) {
      workersInvocationsAdaptive(
        limit: 1000
        filter: {scriptName: $scriptName, datetime_geq: $start, datetime_leq: $end}
      ) {
        sum { requests errors }
        dimensions { status }
      }
    }
  }
}
"""
