"""auth0_gateway on a synthetic tenant of a few thousand users: the search iterator never asks for a
page past Auth0's 1,000-result limit, and a users export streams every user."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest

from auth0_gateway import SEARCH_RESULT_LIMIT, Auth0Gateway, Auth0Permanent, Auth0Transient, ExportField
from auth0_gateway.jobs import _ndjson_gzip_rows as ndjson_gzip_rows
from tests.contract.test_gateway import SHARED, RecordingTransport, gateway_for, job_wait
from tests.support.processes import EmulatorProcess

USERS = 3000


@pytest.fixture(scope="module")
def synthetic(emulator_factory) -> EmulatorProcess:
    return emulator_factory("--seed", "synthetic", "--users", str(USERS), "--orgs", "3", "--no-rate-limits")


@pytest.fixture(scope="module")
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture(scope="module")
def gw(synthetic, transport) -> Iterator[Auth0Gateway]:
    gateway = gateway_for(synthetic, transport)
    yield gateway
    gateway.close()


def pages_requested(transport: RecordingTransport, since: int) -> list[tuple[int, int]]:
    """(page, per_page) of every GET /api/v2/users the gateway made after request number ``since``."""
    return [
        (int(r.url.params["page"]), int(r.url.params["per_page"]))
        for r in transport.requests[since:]
        if r.url.path == "/api/v2/users"
    ]


@pytest.mark.parametrize("per_page", [100, 30])
def test_search_of_more_than_1000_stops_at_the_limit(gw, transport, per_page):
    q = f'identities.connection:"{SHARED}"'
    since = len(transport.requests)
    search = gw.users_search(q=q, per_page=per_page, sort="user_id:1")
    ids = [u["user_id"] for u in search]
    reachable = (SEARCH_RESULT_LIMIT // per_page) * per_page  # 1000 for 100, 990 for 30
    assert search.total == SEARCH_RESULT_LIMIT  # Auth0 caps the total it reports
    assert len(ids) == reachable == len(set(ids)) and ids == sorted(ids)
    assert search.limit_reached
    requested = pages_requested(transport, since)
    assert [page for page, _ in requested] == list(range(SEARCH_RESULT_LIMIT // per_page))
    assert max((page + 1) * size for page, size in requested) <= SEARCH_RESULT_LIMIT


def test_search_under_the_limit_is_complete(gw, transport):
    # The isolated connection of org0000 holds about a third of the tenant: fewer than 1,000.
    q = 'identities.connection:"org0000-users"'
    total = gw.users_page(q=q, per_page=1).total
    assert 0 < total < SEARCH_RESULT_LIMIT
    since = len(transport.requests)
    search = gw.users_search(q=q)
    assert len({u["user_id"] for u in search}) == total and not search.limit_reached
    assert len(pages_requested(transport, since)) == -(-total // 100)


def test_page_past_the_limit_is_refused_by_auth0(gw):
    with pytest.raises(Auth0Permanent) as caught:
        gw.users_page(page=SEARCH_RESULT_LIMIT // 50, per_page=50)
    assert caught.value.error_code == "invalid_paging"


def test_users_export_streams_every_user(gw, transport):
    job = job_wait(gw, gw.users_export_start())
    assert job.status == "completed" and job.location
    size_before = transport.bytes_received
    rows = gw.users_export_rows(location=job.location, chunk_size=8192)
    first = next(rows)
    read_for_first_row = transport.bytes_received - size_before
    ids = {first["user_id"], *(row["user_id"] for row in rows)}
    file_size = transport.bytes_received - size_before
    assert len(ids) == USERS
    assert {"user_id", "email", "identities", "created_at"} <= set(first)
    # Streamed: the first user came out before the download was complete.
    assert read_for_first_row < file_size
    # The location is a pre-signed URL: the Management API token is not sent along.
    download = next(r for r in reversed(transport.requests) if r.url == job.location)
    assert "authorization" not in download.headers


def test_users_export_of_a_connection_with_fields(gw):
    everyone = job_wait(gw, gw.users_export_start(fields=["user_id", "identities"]))
    in_shared = {
        row["user_id"]
        for row in gw.users_export_rows(location=everyone.location)
        if row["identities"][0]["connection"] == SHARED
    }
    assert len(in_shared) > SEARCH_RESULT_LIMIT  # more than a search could ever list
    connection = gw.connection_get_by_name(name=SHARED)
    job = job_wait(
        gw,
        gw.users_export_start(
            connection_id=connection["id"],
            fields=["user_id", "email", ExportField("user_metadata.department", export_as="department")],
        ),
    )
    rows = list(gw.users_export_rows(location=job.location))
    assert {row["user_id"] for row in rows} == in_shared and len(rows) == len(in_shared)
    assert all(set(row) == {"user_id", "email", "department"} for row in rows)


def test_export_decoder_handles_concatenated_members_and_detects_truncation():
    lines = [json.dumps({"user_id": f"auth0|{i:024x}"}).encode() + b"\n" for i in range(500)]
    one, two = gzip.compress(b"".join(lines[:250])), gzip.compress(b"".join(lines[250:]))
    data = one + two
    chunks = [data[i : i + 97] for i in range(0, len(data), 97)]  # splits lines and gzip headers
    assert [r["user_id"] for r in ndjson_gzip_rows(iter(chunks))] == [
        f"auth0|{i:024x}" for i in range(500)
    ]
    with pytest.raises(Auth0Transient):
        list(ndjson_gzip_rows(iter([data[: len(data) - 20]])))
    with pytest.raises(Auth0Permanent):
        list(ndjson_gzip_rows(iter([b"not gzip at all"])))
