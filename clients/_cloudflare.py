"""Cloudflare API v4: Worker versions, deployments, secret names, and invocation analytics."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from clients._base import TokenClient, json_body
from clients._cloudflare_models import (
    CfDeployment,
    CfVersion,
    DeployOutcome,
    InvocationTotals,
    VersionShare,
)
from clients._queries import CLOUDFLARE_INVOCATIONS_QUERY

__all__ = ["CloudflareClient"]

_PER_PAGE = 50
_MAX_PAGES = 50
_MESSAGE = "workers/message"
_TAG = "workers/tag"


class CloudflareClient(TokenClient):
    """One token, any number of accounts: the account id is passed per call."""

    provider = "cloudflare"

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        body = json_body(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            detail = "; ".join(
                f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict)
            )
            return first.get("code"), detail
        return None, self._excerpt(response.text)

    # -- deployments -----------------------------------------------------------------------------

    async def list_deployments(self, account_id: str, script: str) -> list[CfDeployment]:
        """Newest first; the first one is the deployment serving traffic."""
        op = "list_deployments"
        result = await self._result(op, "GET", self._script_url(account_id, script, "deployments"))
        with self._parsing(op):
            return [_deployment(item) for item in result["deployments"]]

    async def live_deployment(self, account_id: str, script: str) -> CfDeployment | None:
        deployments = await self.list_deployments(account_id, script)
        return deployments[0] if deployments else None

    async def deploy(
        self,
        account_id: str,
        script: str,
        version_id: str,
        *,
        message: str,
        force: bool = False,
    ) -> DeployOutcome:
        """Put `version_id` at 100 %. Reads the live deployment first and never deploys twice."""
        op = "deploy"
        live = await self.live_deployment(account_id, script)
        if live is not None and live.sole_version_id == version_id:
            return DeployOutcome(deployment=live, created=False)

        def parse(response: httpx.Response) -> DeployOutcome:
            result = self._unwrap(op, response)
            with self._parsing(op):
                return DeployOutcome(deployment=_deployment(result), created=True)

        async def read_back() -> DeployOutcome | None:
            now_live = await self.live_deployment(account_id, script)
            if now_live is not None and now_live.sole_version_id == version_id:
                return DeployOutcome(deployment=now_live, created=True)
            return None

        return await self._write(
            op,
            "POST",
            self._script_url(account_id, script, "deployments"),
            params={"force": "true"} if force else None,
            json={
                "strategy": "percentage",
                "versions": [{"version_id": version_id, "percentage": 100}],
                "annotations": {_MESSAGE: message},
            },
            parse=parse,
            read_back=read_back,
        )

    # -- versions --------------------------------------------------------------------------------

    async def get_version(self, account_id: str, script: str, version_id: str) -> CfVersion:
        op = "get_version"
        url = self._script_url(account_id, script, "versions", version_id)
        result = await self._result(op, "GET", url)
        with self._parsing(op):
            return _version(result)

    async def list_versions(self, account_id: str, script: str) -> list[CfVersion]:
        """Newest first, every page."""
        op = "list_versions"
        versions: list[CfVersion] = []
        for page in range(1, _MAX_PAGES + 1):
            items, more = await self._versions_page(op, account_id, script, page)
            versions.extend(items)
            if not more:
                return versions
        raise self._fail(op, detail=f"more than {_MAX_PAGES} pages of versions")

    async def _versions_page(
        self, op: str, account_id: str, script: str, page: int
    ) -> tuple[list[CfVersion], bool]:
        url = self._script_url(account_id, script, "versions")
        body = await self._envelope(op, "GET", url, params={"page": page, "per_page": _PER_PAGE})
        with self._parsing(op):
            items = [_version(item) for item in body["result"]["items"]]
            info = body.get("result_info") or {}
            per_page = int(info.get("per_page") or _PER_PAGE)
            total = info.get("total_count")
        if not items:
            return items, False
        more = page * per_page < int(total) if total is not None else len(items) >= per_page
        return items, more

    async def upload_version(
        self,
        account_id: str,
        script: str,
        *,
        main_module: str,
        source: str,
        compatibility_date: str,
        message: str | None = None,
        tag: str | None = None,
        keep_bindings: Sequence[str] | None = None,
    ) -> CfVersion:
        """Upload a version that serves no traffic until deployed (what `wrangler versions
        upload` does). After a lost answer the newest versions are searched for the tag (else the
        message); the upload is sent again only if it is not there, and never without a marker."""
        op = "upload_version"
        metadata: dict[str, Any] = {
            "main_module": main_module,
            "compatibility_date": compatibility_date,
        }
        annotations = {k: v for k, v in ((_MESSAGE, message), (_TAG, tag)) if v is not None}
        if annotations:
            metadata["annotations"] = annotations
        if keep_bindings is not None:
            metadata["keep_bindings"] = list(keep_bindings)
        files = [
            ("metadata", (None, json.dumps(metadata), "application/json")),
            (main_module, (main_module, source.encode(), "application/javascript+module")),
        ]

        def parse(response: httpx.Response) -> CfVersion:
            result = self._unwrap(op, response)
            with self._parsing(op):
                return _version(result)

        async def read_back() -> CfVersion | None:
            # A version just uploaded is the newest one, so the first page is enough.
            newest, _ = await self._versions_page(op, account_id, script, 1)
            for version in newest:
                if (tag is not None and version.tag == tag) or (
                    tag is None and version.message == message
                ):
                    return version
            return None

        return await self._write(
            op,
            "POST",
            self._script_url(account_id, script, "versions"),
            files=files,
            parse=parse,
            read_back=read_back if (tag is not None or message is not None) else None,
        )

    # -- secrets and analytics -------------------------------------------------------------------

    async def secret_names(self, account_id: str, script: str) -> frozenset[str]:
        """Names only: the API never returns secret values."""
        op = "secret_names"
        result = await self._result(op, "GET", self._script_url(account_id, script, "secrets"))
        with self._parsing(op):
            return frozenset(item["name"] for item in result)

    async def invocation_totals(
        self, account_id: str, script: str, start: datetime, end: datetime
    ) -> InvocationTotals:
        """Requests and errors of `script` in [start, end], summed from Workers analytics."""
        op = "analytics"
        variables = {
            "accountTag": account_id,
            "scriptName": script,
            "start": _utc(start),
            "end": _utc(end),
        }
        response = await self._call(
            op,
            "POST",
            f"{self.base_url}/graphql",
            json={"query": CLOUDFLARE_INVOCATIONS_QUERY, "variables": variables},
        )
        body = json_body(response)
        if not isinstance(body, dict):
            raise self._fail(op, status=response.status_code, detail="answer is not JSON")
        # GraphQL reports failure inside an HTTP 200; data may be partial or null beside it.
        errors = body.get("errors")
        if errors:
            detail = "; ".join(
                str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
            )
            raise self._fail(op, status=response.status_code, detail=detail)
        with self._parsing(op):
            accounts = body["data"]["viewer"]["accounts"]
            if not accounts:
                raise self._fail(op, detail=f"account {account_id} is not visible to this token")
            rows = accounts[0]["workersInvocationsAdaptive"] or []
            return InvocationTotals(
                requests=sum(int(row["sum"]["requests"]) for row in rows),
                errors=sum(int(row["sum"]["errors"]) for row in rows),
            )

    # -- plumbing --------------------------------------------------------------------------------

    def _script_url(self, account_id: str, script: str, *rest: str) -> str:
        return self._url("accounts", account_id, "workers", "scripts", script, *rest)

    def _unwrap(self, operation: str, response: httpx.Response) -> Any:
        return self._check(operation, response)["result"]

    def _check(self, operation: str, response: httpx.Response) -> dict[str, Any]:
        """The v4 envelope, or a ProviderError when it says success: false."""
        body = json_body(response)
        if not isinstance(body, dict) or "success" not in body:
            raise self._fail(
                operation, status=response.status_code, detail="answer is not a v4 envelope"
            )
        if body["success"] is not True:
            raise self._error_for(operation, response, note="success: false")
        return body

    async def _envelope(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        params: dict[str, str | int] | None = None,
    ) -> dict[str, Any]:
        return self._check(operation, await self._call(operation, method, url, params=params))

    async def _result(self, operation: str, method: str, url: str) -> Any:
        return (await self._envelope(operation, method, url))["result"]


def _deployment(item: dict[str, Any]) -> CfDeployment:
    return CfDeployment(
        id=item["id"],
        created_on=item["created_on"],
        versions=tuple(
            VersionShare(version_id=v["version_id"], percentage=float(v["percentage"]))
            for v in item["versions"]
        ),
        message=(item.get("annotations") or {}).get(_MESSAGE),
    )


def _version(item: dict[str, Any]) -> CfVersion:
    annotations = item.get("annotations") or {}
    return CfVersion(
        id=item["id"],
        number=int(item["number"]),
        created_on=(item.get("metadata") or {}).get("created_on"),
        message=annotations.get(_MESSAGE),
        tag=annotations.get(_TAG),
    )


def _utc(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("analytics windows need timezone-aware datetimes")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
