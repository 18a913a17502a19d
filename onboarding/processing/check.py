"""The dry run: every row of a job checked and planned, against the portal's directory only (nothing is sent to
Auth0), a chunk of rows per transaction so a killed worker's successor carries on where it stopped.

Per row it says what will happen: invite (someone new), add an existing user to the organization (an account in
its connection already, not a member: they get an invitation to join and become a member when they accept it,
``users.acts.join``), update (a member whose
metadata, block or application roles would change), nothing (a member already as the row says), or an error with
the reason. The rules are the services': an email as the invitation takes it, each metadata value by
``users.acts.metadata``'s ``MetadataEditor`` (the schema's rules, the fields the admin may set, and for someone
invited every required field the admin may set), the guardrails of ``users.acts.account`` for a block, and the
organization's grantable set for the roles (``app_roles.catalog.GrantableNames``: a role outside it is the row's
error, naming it); a member's row gives the roles the organization has not granted them yet. Also refused: a
repeat of an email earlier in the file, and someone with an invitation already on its way. Emails match whatever
their case.

The run checks every row again through the same services (``onboarding.processing.run``): the preview may be old
by then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Lower
from django.utils import timezone

from app_roles.acts import ACT as APP_ROLE_ACT
from app_roles.catalog import GrantableNames
from app_roles.models import AppRoleGrant
from onboarding.intake.columns import (
    BLOCK,
    FAMILY_NAME,
    GIVEN_NAME,
    NAME,
    ROLES,
    field_headers,
    roles_cell_split,
    spec_target_key,
)
from onboarding.models import BulkJob, BulkRow
from organizations.access.authorization import require_org_admin
from organizations.models import Organization
from organizations.selectors import principal_for_user_id
from portal.models import Operation, OperationKind
from portal.principal import Principal
from portal.web.refusals import refusal_of
from users.acts.account import USER_ACTIONS, user_action_check, user_action_for
from users.acts.invite import EMAIL_MAX, NAME_MAX
from users.acts.metadata import MetadataEditor
from users.acts.rules import user_rights_check
from users.models import DirectoryUser, JoinInvitation, OrganizationBlock

CHUNK = 1000
_YES = ("yes", "y", "true", "1", "block", "blocked")
_NO = ("no", "n", "false", "0", "unblock", "unblocked")
_UNFINISHED = (Operation.Status.PENDING, Operation.Status.RUNNING)


@dataclass
class _Context:
    job: BulkJob
    organization: Organization
    actor: Principal
    editor: MetadataEditor
    # Column header -> what it sets, and the column header of each metadata spec (for messages).
    specs: dict[str, str]
    # What a row's message calls each metadata field: its column, or the template's header when the file has none.
    field_headers: dict[str, str]
    # The organization's grantable roles, by what a roles cell may call them.
    roles: GrantableNames


def bulk_job_check(job_id) -> int:
    """Check the job's next chunks of unchecked rows until none is left, then mark it ready; returns how many
    rows this run checked. Safe to run twice at once (each chunk is taken under the job's lock)."""
    checked, context = 0, None
    while True:
        with transaction.atomic():
            job = BulkJob.objects.select_for_update().select_related("organization").get(pk=job_id)
            if job.status != BulkJob.Status.CHECKING:
                return checked
            rows = list(job.rows.filter(action=BulkRow.Action.UNCHECKED).order_by("line")[:CHUNK])
            if rows:
                context = context or _context(job)  # the actor's roles and the schema, read once a run
                _chunk_check(context, rows)
                job.checked_rows += len(rows)
                checked += len(rows)
            else:
                job.status, job.checked_at = BulkJob.Status.READY, timezone.now()
            job.save(update_fields=["checked_rows", "status", "checked_at", "updated_at"])
            if not rows:
                return checked


def _context(job: BulkJob) -> _Context:
    actor = principal_for_user_id(job.actor_user_id, job.actor_display)
    editor = MetadataEditor.for_admin(actor, job.organization)
    specs = {header: spec for header, spec in job.columns}
    in_file = {spec: f"Column “{header}”" for header, spec in specs.items()}
    return _Context(job=job, organization=job.organization, actor=actor, editor=editor, specs=specs,
                    field_headers={spec: in_file.get(spec, f"Column “{header}” (not in the file)")
                                   for spec, header in field_headers(list(editor.schema)).items()},
                    roles=GrantableNames(job.organization))


def _chunk_check(context: _Context, rows: list[BulkRow]) -> None:
    """Plan a chunk of rows. Emails are matched whatever their case, as the invitation's own checks match them:
    the rows' are lower-cased as they are stored, the directory's, invitations' and blocks' compared lower-cased
    (``Ann@X.test`` in the directory is the row ``ann@x.test``)."""
    organization, job = context.organization, context.job
    emails = {row.email for row in rows if row.email}
    first_line = dict(job.rows.filter(email__in=emails).values_list("email").annotate(first=Min("line")).order_by())
    people = DirectoryUser.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
    members = {person.email.lower(): person for person in people.filter(memberships__organization=organization)}
    others: dict[str, list[DirectoryUser]] = {}
    for person in people.exclude(memberships__organization=organization):
        others.setdefault(person.email.lower(), []).append(person)
    # An invitation's operation is keyed by the address it lower-cased (users.acts.invite).
    on_its_way = set(Operation.objects.filter(kind=OperationKind.USER_INVITE, organization=organization,
                                              target__in=emails, status__in=_UNFINISHED)
                     .values_list("target", flat=True))
    on_its_way |= {e.lower() for e in JoinInvitation.objects.filter(
        organization=organization, status=JoinInvitation.Status.PENDING
    ).annotate(email_lower=Lower("email")).filter(email_lower__in=emails).values_list("email", flat=True)}
    blocked_here = {e.lower() for e in OrganizationBlock.objects.filter(organization=organization).annotate(
        email_lower=Lower("email")).filter(email_lower__in=emails).values_list("email", flat=True)}
    roles_held = _roles_held(organization, members.values()) if ROLES in context.specs.values() else {}
    # The uploader may have lost their role since: then no row is theirs to plan.
    refusal = refusal_of(lambda: require_org_admin(context.actor, organization))
    if refusal:
        for row in rows:
            _plan(row, BulkRow.Action.ERROR, [refusal])
        _rows_save(rows)
        return
    for row in rows:
        _row_plan(context, row, first_line, members, others, on_its_way, blocked_here, roles_held)
    _rows_save(rows)


def _roles_held(organization: Organization, members: Iterable[DirectoryUser]) -> dict[str, set[str]]:
    """Per member (by user id), the roles the organization granted them or is giving them (an assignment on its
    way): what a row's roles need not give again."""
    by_pk = {member.pk: member.user_id for member in members}
    held: dict[str, set[str]] = {}
    for user_pk, role_id in AppRoleGrant.objects.filter(organization=organization, user_id__in=list(by_pk)
                                                        ).values_list("user_id", "role_id"):
        held.setdefault(by_pk[user_pk], set()).add(role_id)
    for user_id, role_id in Operation.objects.filter(
            kind=OperationKind.APP_ROLE_ASSIGN, organization=organization, target__in=list(by_pk.values()),
            status__in=_UNFINISHED).values_list("target", "payload__role_id"):
        held.setdefault(user_id, set()).add(role_id)
    return held


def _rows_save(rows: list[BulkRow]) -> None:
    """Write the planned rows back. Deleted and inserted again rather than ``bulk_update``d: Django's bulk update
    is one CASE per column with a branch per row, which took 95% of a check's time (3 s per thousand rows); the
    rows are the job's alone, and nothing refers to a row before the run, which keys its work by line."""
    BulkRow.objects.filter(pk__in=[row.pk for row in rows]).delete()
    for row in rows:
        row.pk = None
    BulkRow.objects.bulk_create(rows)


def _row_plan(context: _Context, row: BulkRow, first_line: dict[str, int], members: dict[str, DirectoryUser],
              others: dict[str, list[DirectoryUser]], on_its_way: set[str], blocked_here: set[str],
              roles_held: dict[str, set[str]]) -> None:
    errors: list[str] = []
    values: dict[str, dict] = {}
    row.app_role_ids = []
    for header, cell in row.cells.items():
        spec = context.specs.get(header, "")
        if header == "__extra__":
            errors.append(f"This line {cell}.")
            continue
        text = cell.strip() if isinstance(cell, str) else cell
        if spec == NAME:
            row.name = str(text)
        elif spec == GIVEN_NAME:
            row.given_name = str(text)
        elif spec == FAMILY_NAME:
            row.family_name = str(text)
        elif spec == BLOCK:
            row.block = _block_parse(text, header, errors)
        elif spec == ROLES:
            row.app_role_ids, refused = context.roles.resolve(roles_cell_split(cell))
            errors += [f"Column “{header}”: {message}" for message in refused]
        elif (target_key := spec_target_key(spec)) is not None:
            values.setdefault(target_key[0], {})[target_key[1]] = text
    row.values = values
    for label, value in (("name", row.name), ("given name", row.given_name), ("family name", row.family_name)):
        if len(value) > NAME_MAX:
            errors.append(f"The {label} is {len(value)} characters: keep it to {NAME_MAX}.")
    # What the row's columns can hold (the report repeats the file's own cells, whole).
    row.name, row.given_name, row.family_name = row.name[:300], row.given_name[:150], row.family_name[:150]
    email = row.email
    if not email:
        errors.insert(0, "No email: every row needs one.")
    elif not _email_valid(email):
        errors.insert(0, f"“{email}” is not a valid email address.")
    elif first_line.get(email, row.line) < row.line:
        errors.insert(0, f"{email} is also on line {first_line[email]}: each person once per file.")
    if errors or not email:
        _plan(row, BulkRow.Action.ERROR, errors)
        return
    member = members.get(email)
    try:
        if member is None:  # someone invited: as the invitation checks them, every required field given
            changes = context.editor.changes_for_someone_new(values)
        else:
            changes = context.editor.changes((member.user_metadata, member.app_metadata), values)
    except ValidationError as exc:
        changes = []
        errors += [f"{_column_of(context, name)}: {' '.join(messages)}" for name, messages in exc.message_dict.items()]
    if member is not None:
        held = roles_held.get(member.user_id, set())
        row.app_role_ids = [role_id for role_id in row.app_role_ids if role_id not in held]
        _member_plan(context, row, member, bool(changes), errors)
        return
    if email in on_its_way:
        errors.append(f"An invitation to {email} is already on its way.")
    if email in blocked_here:
        errors.append(f"{email} is blocked in {context.organization.display_name}: lift the block (the blocked "
                      "people page) to let them back in.")
    if row.block:
        errors.append("Someone new cannot be invited blocked: leave block empty for them.")
    if errors:
        _plan(row, BulkRow.Action.ERROR, errors)
        return
    connection = context.organization.connection_name
    known = others.get(email, [])
    if any(p.connection == connection or connection in {i.get("connection") for i in p.identities or []}
           for p in known):
        _plan(row, BulkRow.Action.ADD, ["Already has an account: they get an invitation to join and become a member "
                                        "when they accept it."])
    elif known and context.actor.is_company_admin:
        # Only a company admin learns of accounts outside the organization's connection (they may belong to
        # another organization, which an organization's admin must not learn of).
        held_in = ", ".join(sorted({p.connection for p in known if p.connection}))
        _plan(row, BulkRow.Action.INVITE, [f"Also has an account in {held_in}: this invitation makes a separate "
                                           f"one in {connection}."])
    else:
        _plan(row, BulkRow.Action.INVITE, [])
    row.changes_metadata = bool(changes)
    if row.app_role_ids:
        roles = ", ".join(context.roles.label(role_id) for role_id in row.app_role_ids)
        row.message = " ".join(filter(None, [row.message, f"Application roles once their account is ready: {roles}."]))


def _member_plan(context: _Context, row: BulkRow, member: DirectoryUser, changes_metadata: bool,
                 errors: list[str]) -> None:
    row.user_id = member.user_id
    changes_block = row.block is not None and row.block != member.blocked
    refusal = ""
    if changes_block:
        action = user_action_for(context.actor, context.organization, member,
                                 USER_ACTIONS["block" if row.block else "unblock"])
        refusal = refusal_of(lambda: user_action_check(context.actor, context.organization, member, action))
    elif changes_metadata or row.app_role_ids:
        # Metadata and application roles alike: the organization's admins, the guardrails kept.
        refusal = refusal_of(lambda: user_rights_check(context.actor, context.organization, member, APP_ROLE_ACT))
    if refusal:
        errors.append(refusal)
    if errors:
        _plan(row, BulkRow.Action.ERROR, errors)
        return
    row.changes_metadata, row.changes_block = changes_metadata, changes_block
    if not (changes_metadata or changes_block or row.app_role_ids):
        _plan(row, BulkRow.Action.NOTHING,
              [f"Already a user of {context.organization.display_name}, as this row says."])
        return
    roles = ", ".join(context.roles.label(role_id) for role_id in row.app_role_ids)
    what = [w for w, on in (("metadata", changes_metadata),
                            ("block" if row.block else "unblock", changes_block),
                            (f"application roles {roles}", bool(row.app_role_ids))) if on]
    _plan(row, BulkRow.Action.UPDATE, [f"Already a user of {context.organization.display_name}: "
                                       f"{' and '.join(what)}."])


def _plan(row: BulkRow, action: str, messages: list[str]) -> None:
    row.action, row.message = action, " ".join(messages)
    if action == BulkRow.Action.ERROR:
        row.app_role_ids = []  # nothing of a row in error is sent


def _column_of(context: _Context, name: str) -> str:
    return context.field_headers.get(name) or f"Column “{name}”"


def _block_parse(value, header: str, errors: list[str]) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    errors.append(f"Column “{header}”: write yes to block, no to unblock, or leave it empty (not “{value}”).")
    return None


def _email_valid(email: str) -> bool:
    if len(email) > EMAIL_MAX:
        return False
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True
