"""Examples for the OpenAPI description (/api/schema/, /api/docs/): one request and answer per endpoint, on
the demo tenant's Acme, so a tool's author sees the shapes before the first call. Errors have theirs in
``api.schema``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

USER_ID = "auth0|65f1c0de0000000000000001"
OPERATION_ID = "1b7f0c5e-3f43-4a55-9a1e-2d8f6a0b9c11"
NOW = "2026-03-02T09:30:00Z"

ORGANIZATION = {
    "slug": "acme", "display_name": "Acme", "membership_mode": "isolated_connection",
    "membership_mode_label": "Isolated connection (its own database connection)", "connection_name": "acme-users",
    "domains": ["acme.test"], "connected": True, "invite_link_lifetime_days": 7,
}
USER_ROW = {
    "user_id": USER_ID, "email": "user01@acme.test", "email_verified": True, "name": "Liam Johnson",
    "given_name": "Liam", "family_name": "Johnson", "connection": "acme-users", "blocked": False,
    "logins_count": 12, "last_login": "2026-03-01T17:02:11Z", "created_at": "2025-01-02T10:00:00Z",
    "updated_at": "2026-03-01T17:02:11Z",
}
USER = {
    **USER_ROW, "nickname": "liam", "picture": "https://example.test/avatar.png",
    "identities": [{"connection": "acme-users", "provider": "auth0", "user_id": "65f1c0de0000000000000001",
                    "isSocial": False}],
    "metadata": {"user_metadata": {"department": "Sales"}},
}
OPERATION = {
    "id": OPERATION_ID, "kind": "user_block", "kind_label": "Block a user", "status": "pending",
    "status_label": "Pending", "organization": "acme", "target": USER_ID, "actor": "Help desk (API client)",
    "attempts": 0, "error": "", "result": {}, "created_at": NOW, "updated_at": NOW, "finished_at": None,
    "url": f"/api/v1/organizations/acme/operations/{OPERATION_ID}/",
}
AUDIT_EVENT = {
    "id": 4812, "occurred_at": NOW, "actor": "Help desk (API client)", "actor_user_id": "portal-tool-dev@clients",
    "organization": "acme", "action": "user_block.requested", "action_label": "Block a user: requested",
    "target_type": "user", "target_id": USER_ID, "summary": "Asked to block user01@acme.test",
    "details": {}, "operation": OPERATION_ID,
}
ROLE = {"id": 31, "user_id": USER_ID, "email": "user01@acme.test", "name": "Liam Johnson", "role": "viewer",
        "role_label": "Viewer", "created_at": NOW}
NEXT = "eyJrIjpbIjIwMjUtMDEtMDIiXX0"
# The demo tenant's roles (auth0_emulator.seed.demo_role_id), as Acme may grant them in the demo.
READER_ROLE_ID, EDITOR_ROLE_ID = "rol_2a2fa22605962d09", "rol_22bb44548af6fc88"


def _response(name: str, value, status: str = "200") -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[status])


def _request(name: str, value) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


ORGANIZATION_LIST = [_response("Organizations", [ORGANIZATION])]
ORGANIZATION_DETAIL = [_response("Acme", ORGANIZATION)]
USER_LIST = [_response("A page of users", {"results": [USER_ROW], "total": 32, "next_cursor": NEXT,
                                           "previous_cursor": None})]
USER_DETAIL = [_response("A user", USER)]
OPERATION_LIST = [_response("A page of operations", {"results": [OPERATION], "next_cursor": None,
                                                     "previous_cursor": None})]
OPERATION_DETAIL = [_response("Finished", {**OPERATION, "status": "succeeded", "status_label": "Succeeded",
                                           "attempts": 1, "finished_at": NOW})]
AUDIT_LIST = [_response("A page of the trail", {"results": [AUDIT_EVENT], "next_cursor": None,
                                                "previous_cursor": None})]
ROLE_LIST = [_response("Admins and viewers", [ROLE])]


def accepted(kind: str, kind_label: str, target: str = USER_ID) -> OpenApiExample:
    return _response("Queued", {**OPERATION, "kind": kind, "kind_label": kind_label, "target": target}, "202")


INVITE = [_request("Invite", {"email": "new.person@acme.test", "name": "New Person"}),
          _request("Invite, setting metadata", {"email": "new.person@acme.test", "name": "New Person",
                                                "user_metadata": {"department": "Sales"}}),
          _request("Invite with an application role", {"email": "new.person@acme.test", "name": "New Person",
                                                       "roles": [EDITOR_ROLE_ID]}),
          accepted("user_invite", "Invite a user", "new.person@acme.test")]
METADATA = [_request("Set a field, delete another", {"user_metadata": {"department": "Sales", "phone": None}}),
            accepted("user_metadata_edit", "Edit metadata")]
ACTION = [accepted("user_block", "Block a user")]
REMOVE = [accepted("user_remove", "Remove a user from the organization")]
DELETE = [_request("Confirmed by the user's email", {"confirmation": "user01@acme.test"}),
          accepted("user_delete", "Delete a user")]
ROLE_GRANT = [_request("Appoint a viewer", {"email": "user01@acme.test", "role": "viewer"}),
              _response("Appointed", ROLE, "201"),
              accepted("role_grant", "Appoint an admin or viewer", "user01@acme.test")]
READER = {"role_id": READER_ROLE_ID, "label": "Reader",
          "description": "Sees the applications' data without changing it."}
EDITOR = {"role_id": EDITOR_ROLE_ID, "label": "Editor",
          "description": "Creates and changes content in the applications."}
GRANTABLE_APP_ROLES = [_response("What Acme may grant", [{**READER, "default": True}, {**EDITOR, "default": False}])]
USER_APP_ROLES = [_response("A user's application roles", [
    {**EDITOR, "granted_by": "Acme", "granted_by_organization": "acme", "granted_here": True},
    {**READER, "granted_by": "Not Acme: held through another grant", "granted_by_organization": None,
     "granted_here": False},
])]
APP_ROLE_ASSIGN = [_request("Assign Editor", {"role_id": EDITOR_ROLE_ID}),
                   accepted("app_role_assign", "Assign an application role")]
APP_ROLE_REMOVE = [accepted("app_role_remove", "Remove an application role")]
EVENT_LIST = [_response("Events", {"results": [
    {"id": "evt_1201", "type": "operation.finished", "organization": "acme", "occurred_at": NOW,
     "data": {"operation": {"id": OPERATION_ID, "kind": "user_block", "status": "succeeded", "target": USER_ID,
                            "error": "", "actor": "Help desk (API client)"}}},
    {"id": "evt_1202", "type": "user.changed", "organization": "acme", "occurred_at": NOW,
     "data": {"user_id": USER_ID}},
], "next_cursor": "1202"})]

# -- bulk onboarding ----------------------------------------------------------------------------------------
BULK_JOB_ID = "5d0c2a1e-8b7f-4c1e-9f3a-6e2b7c4d9a10"
BULK_JOB = {
    "id": BULK_JOB_ID, "organization": "acme", "status": "ready", "status_label": "Checked: waiting for confirmation",
    "source": "api", "source_label": "Sent through the API", "file_name": "", "actor": "Help desk (API client)",
    "total_rows": 3, "checked_rows": 3, "changed_by": "", "created_at": NOW, "checked_at": NOW, "started_at": None,
    "finished_at": None, "url": f"/api/v1/organizations/acme/bulk-jobs/{BULK_JOB_ID}/",
}
BULK_PROGRESS = {
    "status": "ready", "status_label": "Checked: waiting for confirmation", "total_rows": 3, "checked_rows": 3,
    "rows_to_send": 2, "done": 0, "failed": 0, "skipped": 0, "cancelled": 0, "under_way": 0, "rows_left": 2,
    "percent": 0, "rows_per_minute": None, "seconds_left": None, "finished": False,
}
BULK_JOB_DETAIL_VALUE = {
    **BULK_JOB, "actions": {"invite": 1, "add": 0, "update": 1, "nothing": 0, "error": 1},
    "progress": BULK_PROGRESS, "rows_url": f"/api/v1/organizations/acme/bulk-jobs/{BULK_JOB_ID}/rows/",
    "report_url": f"/api/v1/organizations/acme/bulk-jobs/{BULK_JOB_ID}/report/",
}
BULK_CHECKING = {**BULK_JOB_DETAIL_VALUE, "status": "checking", "status_label": "Checking the file",
                 "checked_rows": 0, "checked_at": None,
                 "actions": {"invite": 0, "add": 0, "update": 0, "nothing": 0, "error": 0},
                 "progress": {**BULK_PROGRESS, "status": "checking", "status_label": "Checking the file",
                              "checked_rows": 0, "rows_to_send": 0, "rows_left": 0}}
BULK_ROW = {"line": 2, "email": "new.person@acme.test", "action": "invite", "action_label": "Invite",
            "message": "", "outcome": "done", "outcome_label": "Done",
            "outcome_message": "Invited: a set-password email was sent.", "user_id": USER_ID,
            "operation": OPERATION_ID, "block_operation": None, "finished_at": NOW}

BULK_JOB_LIST = [_response("A page of jobs", {"results": [BULK_JOB], "next_cursor": None, "previous_cursor": None})]
BULK_JOB_DETAIL = [_response("Checked", BULK_JOB_DETAIL_VALUE)]
BULK_JOB_CREATE = [
    OpenApiExample("Rows", request_only=True, media_type="application/json", value={"rows": [
        {"email": "new.person@acme.test", "given_name": "New", "family_name": "Person", "roles": ["Editor"],
         "user_metadata": {"department": "Sales"}},
        {"email": "user01@acme.test", "block": True},
    ]}),
    OpenApiExample("A CSV file", request_only=True, media_type="multipart/form-data",
                   value={"file": "email,given_name,family_name,roles,department\n"
                                  "new.person@acme.test,New,Person,Reader|Editor,Sales\n"}),
    _response("Being checked", BULK_CHECKING, "202"),
]
BULK_ROW_LIST = [_response("A page of rows", {"results": [BULK_ROW, {
    **BULK_ROW, "line": 3, "email": "not-an-email", "action": "error", "action_label": "Error",
    "message": "“not-an-email” is not a valid email address.", "outcome": "skipped", "outcome_label": "Skipped",
    "outcome_message": "", "user_id": "", "operation": None}], "next_cursor": None, "previous_cursor": None})]
BULK_REPORT = [OpenApiExample("The report", response_only=True, status_codes=["200"], media_type="text/csv",
                              value="line,planned,check,outcome,outcome_detail,auth0_user_id,email,given_name\n"
                                    f"2,Invite,,Done,Invited: a set-password email was sent.,{USER_ID},"
                                    "new.person@acme.test,New\n")]
_BULK_AFTER = {
    "start": ("running", "Running"), "pause": ("paused", "Paused"), "resume": ("running", "Running"),
    "cancel": ("cancelled", "Cancelled"),
}


def bulk_job_act(act: str) -> list[OpenApiExample]:
    status, label = _BULK_AFTER[act]
    return [_response("Done", {**BULK_JOB_DETAIL_VALUE, "status": status, "status_label": label,
                                "started_at": NOW, "changed_by": "Help desk (API client)",
                                "progress": {**BULK_PROGRESS, "status": status, "status_label": label}}, "202")]
