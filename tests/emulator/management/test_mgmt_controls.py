"""Test controls of a running emulator: fault injection, run-time knobs, reset to the seed."""

from __future__ import annotations

import httpx
import pytest

from tests.support.openapi import management_token
from tests.support.processes import EmulatorProcess


@pytest.fixture(scope="module")
def emu(emulator_factory) -> EmulatorProcess:
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits")


def auth(emu: EmulatorProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {management_token(emu.url)}"}


def test_faults_can_be_switched_on_and_off_at_run_time(emu: EmulatorProcess) -> None:
    r = httpx.post(f"{emu.url}/emulator/controls", json={"fault_rate": 1.0, "fault_status": 502, "latency_ms": 5})
    assert r.status_code == 200 and r.json()["fault_rate"] == 1.0 and r.json()["latency_ms"] == 5
    failed = httpx.get(f"{emu.url}/api/v2/users", headers=auth(emu))
    assert failed.status_code == 502 and failed.json()["statusCode"] == 502
    assert "x-ratelimit-remaining" in failed.headers
    # Only the Management API is affected.
    assert httpx.get(f"{emu.url}/.well-known/openid-configuration").status_code == 200
    httpx.post(f"{emu.url}/emulator/controls", json={"fault_rate": 0.0, "latency_ms": 0})
    assert httpx.get(f"{emu.url}/api/v2/users", headers=auth(emu)).status_code == 200


def test_faults_can_answer_several_statuses(emu: EmulatorProcess) -> None:
    r = httpx.post(f"{emu.url}/emulator/controls", json={"fault_rate": 1.0, "fault_status": [500, 503]})
    assert r.status_code == 200 and r.json()["fault_status"] == [500, 503]
    try:
        statuses = {httpx.get(f"{emu.url}/api/v2/users", headers=auth(emu)).status_code for _ in range(40)}
    finally:
        httpx.post(f"{emu.url}/emulator/controls", json={"fault_rate": 0.0, "fault_status": 503})
    assert statuses == {500, 503}  # 40 draws of two: both come up (all one way: 2 in 10**12)
    assert httpx.get(f"{emu.url}/emulator/controls").json()["fault_status"] == 503


def test_the_command_line_takes_several_fault_statuses(emulator_factory) -> None:
    faulty: EmulatorProcess = emulator_factory("--seed", "empty", "--test-controls", "--fault-rate", "1",
                                               "--fault-status", "500,502")
    assert httpx.get(f"{faulty.url}/emulator/controls").json()["fault_status"] == [500, 502]


def test_stats_count_what_the_management_api_answered_by_group(emu: EmulatorProcess) -> None:
    def counts(group: str) -> dict[str, int]:
        groups = httpx.get(f"{emu.url}/emulator/stats").json()["groups"]
        return groups.get(group, {"served": 0, "rate_limited": 0, "faults": 0})

    before = counts("read_logs")
    httpx.post(f"{emu.url}/emulator/controls", json={
        "rate_limits_enabled": True, "rate_limits": {"read_logs": {"burst": 1, "per_minute": 1}}})
    try:
        codes = [httpx.get(f"{emu.url}/api/v2/logs", headers=auth(emu)).status_code for _ in range(2)]
        httpx.post(f"{emu.url}/emulator/controls", json={"rate_limits_enabled": False, "fault_rate": 1.0})
        codes.append(httpx.get(f"{emu.url}/api/v2/logs", headers=auth(emu)).status_code)
    finally:
        httpx.post(f"{emu.url}/emulator/controls", json={"rate_limits_enabled": False, "fault_rate": 0.0})
    assert codes == [200, 429, 503]
    after = counts("read_logs")
    assert {k: after[k] - before[k] for k in after} == {"served": 1, "rate_limited": 1, "faults": 1}


def test_rate_limits_can_be_turned_on_at_run_time(emu: EmulatorProcess) -> None:
    r = httpx.post(f"{emu.url}/emulator/controls", json={
        "rate_limits_enabled": True, "rate_limits": {"read_logs": {"burst": 1, "per_minute": 1}}})
    assert r.status_code == 200
    codes = [httpx.get(f"{emu.url}/api/v2/logs", headers=auth(emu)).status_code for _ in range(2)]
    assert codes == [200, 429]
    httpx.post(f"{emu.url}/emulator/controls", json={"rate_limits_enabled": False})
    assert httpx.get(f"{emu.url}/api/v2/logs", headers=auth(emu)).status_code == 200


def test_the_next_calls_can_be_refused_as_if_another_client_had_spent_the_limits(emu: EmulatorProcess) -> None:
    """``rate_limit_refusals``: that many calls, of any group, answered 429 with an empty bucket's headers and
    counted as refused; then the buckets as they were. Only while limits are on."""
    r = httpx.post(f"{emu.url}/emulator/controls", json={"rate_limits_enabled": True, "rate_limit_refusals": 2})
    assert r.status_code == 200 and r.json()["rate_limit_refusals"] == 2
    try:
        answers = [httpx.get(f"{emu.url}/api/v2/{path}", headers=auth(emu)) for path in ("users", "logs", "users")]
    finally:
        httpx.post(f"{emu.url}/emulator/controls", json={"rate_limits_enabled": False})
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].json()["errorCode"] == "too_many_requests"
    assert answers[0].headers["x-ratelimit-remaining"] == "0" and int(answers[0].headers["x-ratelimit-reset"]) > 0
    assert httpx.get(f"{emu.url}/emulator/controls").json()["rate_limit_refusals"] == 0
    off = httpx.post(f"{emu.url}/emulator/controls", json={"rate_limit_refusals": 1})
    assert off.json()["rate_limit_refusals"] == 1
    try:
        assert httpx.get(f"{emu.url}/api/v2/users", headers=auth(emu)).status_code == 200  # limits off
    finally:
        httpx.post(f"{emu.url}/emulator/controls", json={"rate_limit_refusals": 0})


def test_bad_controls_are_400(emu: EmulatorProcess) -> None:
    for body in ({"fault_rate": 2}, {"fault_status": 200}, {"fault_status": [503, "x"]}, {"fault_status": []},
                 {"rate_limits": {"nope": {"burst": 1, "per_minute": 1}}}, {"rate_limit_refusals": -1},
                 {"rate_limit_refusals": "many"},
                 {"unknown": 1}):
        r = httpx.post(f"{emu.url}/emulator/controls", json=body)
        assert r.status_code == 400, body


def test_reset_goes_back_to_the_seed_and_keeps_tokens_valid(emu: EmulatorProcess) -> None:
    created = httpx.post(f"{emu.url}/api/v2/users", headers=auth(emu), json={
        "connection": "acme-users", "email": "temp@acme.test", "password": "Str0ng-pass!", "verify_email": False})
    assert created.status_code == 201
    httpx.post(f"{emu.url}/emulator/controls", json={"fault_rate": 0.5})
    r = httpx.post(f"{emu.url}/emulator/reset")
    assert r.status_code == 200
    assert httpx.get(f"{emu.url}/emulator/controls").json()["fault_rate"] == 0.0
    gone = httpx.get(f"{emu.url}/api/v2/users/{created.json()['user_id']}", headers=auth(emu))
    assert gone.status_code == 404
    listed = httpx.get(f"{emu.url}/api/v2/users", params={"q": 'email:"temp@acme.test"'}, headers=auth(emu))
    assert listed.json() == []
    seeded = httpx.get(f"{emu.url}/api/v2/users-by-email", params={"email": "admin@acme.test"}, headers=auth(emu))
    assert len(seeded.json()) == 1


def test_controls_are_404_without_the_flag(emulator_factory) -> None:
    plain: EmulatorProcess = emulator_factory("--seed", "empty")
    assert httpx.post(f"{plain.url}/emulator/reset").status_code == 404
    assert httpx.post(f"{plain.url}/emulator/controls", json={"fault_rate": 1}).status_code == 404
    assert httpx.get(f"{plain.url}/emulator/controls").status_code == 404
    assert httpx.get(f"{plain.url}/emulator/stats").status_code == 404
