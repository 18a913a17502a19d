"""Jobs and tickets: :class:`JobCalls` starts a users export, polls a job and streams an export's file (gzip'd
NDJSON, decoded chunk by chunk); makes password-change and email-verification tickets."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
from auth0.management.types import CreateExportUsersFields

from .core import GatewayCore, given, plain
from .errors import Auth0Permanent, Auth0Transient, error_for_status, error_from_management
from .types import Auth0User, ExportField, Job


def _job(model: Any) -> Job:
    data = plain(model)
    return Job(
        id=data["id"],
        type=data.get("type", ""),
        status=data.get("status", ""),
        location=data.get("location"),
        created_at=data.get("created_at"),
        connection_id=data.get("connection_id"),
        status_details=data.get("status_details"),
    )


class JobCalls(GatewayCore):
    """``/api/v2/jobs`` (users exports) and ``/api/v2/tickets``."""

    # -- jobs: users export ---------------------------------------------------------------------
    def users_export_start(
        self,
        *,
        connection_id: str | None = None,
        fields: Sequence[str | ExportField] | None = None,
        limit: int | None = None,
    ) -> Job:
        """``POST /api/v2/jobs/users-exports`` in NDJSON (``format: json``); poll :meth:`job_get`
        until it is finished, then read it with :meth:`users_export_rows`."""
        export_fields = None
        if fields is not None:
            export_fields = [
                CreateExportUsersFields(name=f)
                if isinstance(f, str)
                else CreateExportUsersFields(**given(name=f.name, export_as=f.export_as))
                for f in fields
            ]
        body = given(connection_id=connection_id, fields=export_fields, limit=limit)
        return _job(self._call(self._client.jobs.users_exports.create, format="json", **body))

    def job_get(self, *, job_id: str) -> Job:
        """``GET /api/v2/jobs/{id}``."""
        return _job(self._call(self._client.jobs.get, job_id))

    def users_export_rows(self, *, location: str, chunk_size: int = 64 * 1024) -> Iterator[Auth0User]:
        """The users of a completed export, one dict per NDJSON line, streamed: the gzip file at
        ``location`` is downloaded and decompressed chunk by chunk, never held whole in memory.

        ``location`` is a pre-signed URL, so no token is sent with it."""
        try:
            with self._http.stream("GET", location) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_for_status(
                        response.status_code,
                        _download_error_message(response),
                        None,
                        response.headers,
                    )
                yield from _ndjson_gzip_rows(response.iter_raw(chunk_size))
        except httpx.HTTPError as exc:
            mapped = error_from_management(exc)
            if mapped is None:
                raise
            raise mapped from exc

    # -- the links of our emails: password-change and email-verification tickets ---------------
    def password_change_ticket_create(
        self,
        *,
        user_id: str,
        result_url: str | None = None,
        ttl_sec: int | None = None,
        mark_email_as_verified: bool | None = None,
        include_email_in_redirect: bool | None = None,
        client_id: str | None = None,
        organization_id: str | None = None,
    ) -> str:
        """``POST /api/v2/tickets/password-change``; returns the ticket URL (delivering it is ours)."""
        body = given(
            result_url=result_url, ttl_sec=ttl_sec, mark_email_as_verified=mark_email_as_verified,
            include_email_in_redirect=include_email_in_redirect, client_id=client_id,
            organization_id=organization_id,
        )
        return self._call(self._client.tickets.change_password, user_id=user_id, **body).ticket

    def email_verification_ticket_create(
        self,
        *,
        user_id: str,
        result_url: str | None = None,
        ttl_sec: int | None = None,
        include_email_in_redirect: bool | None = None,
    ) -> str:
        """``POST /api/v2/tickets/email-verification``; returns the ticket URL (delivering it is ours, in the
        portal's own branded email in the person's language, not Auth0's template)."""
        body = given(result_url=result_url, ttl_sec=ttl_sec, include_email_in_redirect=include_email_in_redirect)
        return self._call(self._client.tickets.verify_email, user_id=user_id, **body).ticket


def _download_error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"Export download failed with HTTP {response.status_code}"
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return f"Export download failed with HTTP {response.status_code}"


def _ndjson_gzip_rows(chunks: Iterator[bytes]) -> Iterator[dict]:
    """Decode gzip'd NDJSON incrementally; concatenated gzip members are allowed (as gzip is)."""
    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    in_member = False  # inside a gzip member that has not ended yet
    pending = b""
    try:
        for chunk in chunks:
            while chunk:
                in_member = True
                pending += decompressor.decompress(chunk)
                chunk = decompressor.unused_data  # the start of a following gzip member, if any
                if decompressor.eof:
                    in_member = False
                    decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    yield json.loads(line)
    except zlib.error as exc:
        raise Auth0Permanent(f"The export file is not valid gzip: {exc}") from None
    if in_member:
        raise Auth0Transient("The export file ended before its gzip stream did (truncated download)")
    if pending.strip():
        yield json.loads(pending)
