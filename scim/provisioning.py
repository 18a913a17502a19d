"""The request's half of provisioning: what a provider's SCIM request changes in the portal, at once, in one
transaction with its audit event (the provider, by its token's name, as the actor) and the operations that carry it
out in Auth0 (``users.acts.invite`` for a new person; ``scim.sync`` for every later change). The SCIM answer is
the resource as it will be, read from the mapping (``ScimUser``, ``ScimGroup``), never from Auth0.

Every read and write is scoped to the token's organization: a SCIM id of another organization is a 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from scim2_models import Group, GroupMember, GroupMembership, Name, User

from organizations.access.authorization import require_org_admin
from organizations.models import Organization
from portal.audit import audit_record
from portal.models import Operation, OperationKind
from portal.principal import Principal
from scim.models import ScimGroup, ScimToken, ScimUser
from scim.resources import Query, ScimError, UserModel
from scim.sync import scim_sync_request
from users.acts.invite import ON_ITS_WAY, user_invite_request
from users.directory.selectors import organization_member_lookup

# SCIM attributes kept as sent and given back (the portal's own are written by it).
_OWN = ("id", "meta", "groups", "schemas")


# -- reads ------------------------------------------------------------------------------------------------------
def scim_user_list(*, organization: Organization) -> QuerySet[ScimUser]:
    return ScimUser.objects.filter(organization=organization, deleted_at__isnull=True).order_by("created_at", "id")


def scim_user_get(*, organization: Organization, scim_id: str) -> ScimUser:
    try:
        return scim_user_list(organization=organization).get(pk=scim_id)
    except (ScimUser.DoesNotExist, ValidationError, ValueError):
        raise ScimError(404, "No such user.") from None


def scim_group_list(*, organization: Organization) -> QuerySet[ScimGroup]:
    return ScimGroup.objects.filter(organization=organization).order_by("display_name", "id")


def scim_group_get(*, organization: Organization, scim_id: str) -> ScimGroup:
    try:
        return scim_group_list(organization=organization).get(pk=scim_id)
    except (ScimGroup.DoesNotExist, ValidationError, ValueError):
        raise ScimError(404, "No such group.") from None


def page(queryset: QuerySet, query: Query) -> tuple[list, int]:
    """The query's page of ``queryset`` (filtered by its ``eq`` terms) and the total."""
    for field, value in query.equals.items():
        if field == "id":
            queryset = queryset.filter(pk=value) if _uuid_like(value) else queryset.none()
        elif field in ("user_name", "display_name"):
            queryset = queryset.filter(**{f"{field}__iexact": value})
        else:
            queryset = queryset.filter(**{field: value})
    total = queryset.count()
    start = query.start_index - 1
    return (list(queryset[start:start + query.count]) if query.count else []), total


def _uuid_like(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# -- representations ----------------------------------------------------------------------------------------------
def user_resource(scim_user: ScimUser, location: str) -> User:
    """The SCIM user as the provider reads it back: what it sent, the portal's id, groups and meta."""
    from scim.resources import meta

    kept = {k: v for k, v in (scim_user.resource or {}).items() if k not in _OWN}
    user = UserModel.model_validate(kept)
    user.id = str(scim_user.pk)
    user.user_name = scim_user.user_name
    user.external_id = scim_user.external_id or None
    user.active = scim_user.active
    user.groups = [GroupMembership(value=str(g.pk), display=g.display_name, ref=None)
                   for g in scim_user.scim_groups.all()] or None
    user.meta = meta("User", location, scim_user.version, scim_user.created_at, scim_user.updated_at)
    return user


def group_resource(group: ScimGroup, location: str, users_location: str) -> Group:
    from scim.resources import meta

    members = [GroupMember(value=str(u.pk), display=u.user_name) for u in group.members.filter(deleted_at__isnull=True)]
    return Group(id=str(group.pk), display_name=group.display_name, external_id=group.external_id or None,
                 members=members or None,
                 meta=meta("Group", location, group.version, group.created_at, group.updated_at))


def _fields(user: User) -> dict:
    from scim.resources import user_email

    name = user.name or Name()
    return {"user_name": (user.user_name or "").strip(), "external_id": (user.external_id or "").strip(),
            "email": user_email(user), "given_name": (name.given_name or "").strip()[:120],
            "family_name": (name.family_name or "").strip()[:120],
            "display_name": (user.display_name or name.formatted or "").strip()[:120],
            "active": user.active is not False,
            "resource": {k: v for k, v in user.model_dump(mode="json").items() if k not in _OWN and v is not None}}


def _email_check(email: str) -> None:
    try:
        validate_email(email)
    except ValidationError:
        raise ScimError(400, f"{email!r} is not an email address.", "invalidValue") from None


def _user_name_taken(organization: Organization, user_name: str, but: ScimUser | None = None) -> None:
    taken = scim_user_list(organization=organization).filter(user_name__iexact=user_name)
    if but is not None:
        taken = taken.exclude(pk=but.pk)
    if taken.exists():
        raise ScimError(409, f"A user with userName {user_name} exists already.", "uniqueness")


def _audit(actor: Principal, organization: Organization, action: str, scim_user: ScimUser, summary: str,
           operation: Operation | None = None, details: dict | None = None) -> None:
    audit_record(actor=actor, action=action, organization=organization, target_type="scim_user",
                 target_id=scim_user.user_id or scim_user.email, summary=summary, operation=operation,
                 details={"scim_id": str(scim_user.pk), "userName": scim_user.user_name, **(details or {})})


def _invitation(actor: Principal, organization: Organization, fields: dict) -> tuple[str, Operation | None]:
    """A member already (their user id), an invitation on its way already, or a new invitation."""
    email = fields["email"]
    members = organization_member_lookup(organization, email).members
    if members:
        return members[0][0], None
    on_its_way = (Operation.objects.filter(kind=OperationKind.USER_INVITE, organization=organization,
                                           target__iexact=email, status__in=["pending", "running"])
                  .order_by("-created_at").first())
    if on_its_way is not None:
        return "", on_its_way
    try:
        return "", user_invite_request(actor=actor, organization=organization, email=email,
                                       name=fields["display_name"], given_name=fields["given_name"],
                                       family_name=fields["family_name"])
    except ValidationError as exc:
        codes = [e.code for errors in getattr(exc, "error_dict", {}).values() for e in errors]
        if ON_ITS_WAY in codes:
            raise ScimError(409, f"An invitation to {email} is on its way already.", "uniqueness") from None
        raise ScimError(400, " ".join(exc.messages)[:500], "invalidValue") from None


# -- users ------------------------------------------------------------------------------------------------------
def scim_user_create(*, actor: Principal, token: ScimToken, organization: Organization, user: User) -> ScimUser:
    """A new person for the organization: a member already is linked; anyone else is invited by the organization's
    mode (an account of someone who is not a member becomes an invitation to join). Created inactive, they are
    then deactivated as a change would."""
    require_org_admin(actor, organization)
    fields = _fields(user)
    _email_check(fields["email"])
    _user_name_taken(organization, fields["user_name"])
    try:
        with transaction.atomic():
            user_id, invitation = _invitation(actor, organization, fields)
            scim_user = ScimUser.objects.create(organization=organization, anchor=fields["email"], user_id=user_id,
                                                invite_operation=invitation, created_by=token, **fields)
            operation = scim_sync_request(actor=actor, scim_user=scim_user) if not scim_user.active else None
            _audit(actor, organization, "scim.user_created", scim_user,
                   f"{actor.display} provisioned {scim_user.email}"
                   + (" (a member already)" if user_id else ""), operation or invitation)
    except IntegrityError:
        raise ScimError(409, f"A user with userName {fields['user_name']} exists already.", "uniqueness") from None
    return scim_user


def _changes(scim_user: ScimUser, fields: dict) -> dict:
    return {k: {"before": getattr(scim_user, k), "after": v} for k, v in fields.items()
            if k != "resource" and getattr(scim_user, k) != v}


def scim_user_replace(*, actor: Principal, organization: Organization, scim_user: ScimUser, user: User) -> ScimUser:
    """The user as the provider now describes it (PUT, or a PATCH applied); a change of ``active``, of their
    names or of their email address is carried out by a sync operation (``scim.sync`` says which it can carry)."""
    require_org_admin(actor, organization)
    fields = _fields(user)
    _email_check(fields["email"])
    _user_name_taken(organization, fields["user_name"], but=scim_user)
    changes = _changes(scim_user, fields)
    if not changes and fields["resource"] == scim_user.resource:
        return scim_user
    try:
        with transaction.atomic():
            locked = ScimUser.objects.select_for_update().get(pk=scim_user.pk)
            for key, value in fields.items():
                setattr(locked, key, value)
            locked.version += 1
            locked.save()
            carried = {"active", "given_name", "family_name", "display_name", "email"} & set(changes)
            operation = scim_sync_request(actor=actor, scim_user=locked) if carried else None
            _audit(actor, organization, "scim.user_changed", locked,
                   f"{actor.display} changed {locked.email}: {', '.join(sorted(changes)) or 'other attributes'}",
                   operation, {"changes": changes})
    except IntegrityError:
        raise ScimError(409, f"A user with userName {fields['user_name']} exists already.", "uniqueness") from None
    return locked


def scim_user_delete(*, actor: Principal, organization: Organization, scim_user: ScimUser) -> None:
    """The provider forgets the user: they are deactivated as the organization chose (blocked, or removed) and
    the SCIM user is gone (404 from now on; its userName is free again)."""
    require_org_admin(actor, organization)
    with transaction.atomic():
        locked = ScimUser.objects.select_for_update().get(pk=scim_user.pk)
        locked.deleted_at = timezone.now()
        locked.active = False
        locked.version += 1
        locked.save()
        locked.scim_groups.clear()
        operation = scim_sync_request(actor=actor, scim_user=locked)
        _audit(actor, organization, "scim.user_deleted", locked, f"{actor.display} deprovisioned {locked.email}",
               operation)


# -- groups -----------------------------------------------------------------------------------------------------
def _members_of(organization: Organization, group: Group) -> list[ScimUser]:
    ids = [m.value for m in (group.members or []) if m.value]
    found = {str(u.pk): u for u in scim_user_list(organization=organization).filter(
        pk__in=[i for i in ids if _uuid_like(i)])}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ScimError(400, f"No such user in this organization: {missing[0][:64]}", "invalidValue")
    return list(found.values())


def _group_name_taken(organization: Organization, name: str, but: ScimGroup | None = None) -> None:
    taken = scim_group_list(organization=organization).filter(display_name__iexact=name)
    if but is not None:
        taken = taken.exclude(pk=but.pk)
    if taken.exists():
        raise ScimError(409, f"A group named {name} exists already.", "uniqueness")


def _members_sync(actor: Principal, users: set[ScimUser]) -> None:
    """Each member who joined or left: their roles follow (a sync each, only where the groups' roles matter)."""
    for scim_user in users:
        ScimUser.objects.filter(pk=scim_user.pk).update(version=scim_user.version + 1)
        scim_user.version += 1
        scim_sync_request(actor=actor, scim_user=scim_user)


def _roles_mapped(organization: Organization) -> bool:
    return organization.scim_role_mappings.exists()


def scim_group_create(*, actor: Principal, organization: Organization, group: Group) -> ScimGroup:
    require_org_admin(actor, organization)
    name = group.display_name.strip()
    _group_name_taken(organization, name)
    members = _members_of(organization, group)
    try:
        with transaction.atomic():
            created = ScimGroup.objects.create(organization=organization, display_name=name,
                                               external_id=(group.external_id or "").strip())
            created.members.set(members)
            if _roles_mapped(organization):
                _members_sync(actor, set(members))
            audit_record(actor=actor, action="scim.group_created", organization=organization, target_type="scim_group",
                         target_id=str(created.pk), summary=f"{actor.display} provisioned the group {name}",
                         details={"members": len(members)})
    except IntegrityError:
        raise ScimError(409, f"A group named {name} exists already.", "uniqueness") from None
    return created


def scim_group_replace(*, actor: Principal, organization: Organization, scim_group: ScimGroup,
                       group: Group) -> ScimGroup:
    """The group as the provider now describes it (PUT, or a PATCH applied): its name and members."""
    require_org_admin(actor, organization)
    name = (group.display_name or "").strip()
    if not name:
        raise ScimError(400, "displayName is required.", "invalidValue")
    _group_name_taken(organization, name, but=scim_group)
    members = set(_members_of(organization, group))
    with transaction.atomic():
        locked = ScimGroup.objects.select_for_update().get(pk=scim_group.pk)
        before = set(locked.members.filter(deleted_at__isnull=True))
        renamed = locked.display_name != name
        locked.display_name, locked.external_id = name, (group.external_id or "").strip()
        locked.version += 1
        locked.save()
        locked.members.set(members)
        if _roles_mapped(organization):
            _members_sync(actor, (members | before) if renamed else (members ^ before))
        audit_record(actor=actor, action="scim.group_changed", organization=organization, target_type="scim_group",
                     target_id=str(locked.pk), summary=f"{actor.display} changed the group {name}",
                     details={"added": sorted(u.email for u in members - before),
                              "removed": sorted(u.email for u in before - members),
                              **({"renamed": {"before": scim_group.display_name, "after": name}} if renamed else {})})
    return locked


def scim_group_delete(*, actor: Principal, organization: Organization, scim_group: ScimGroup) -> None:
    require_org_admin(actor, organization)
    with transaction.atomic():
        members = set(scim_group.members.filter(deleted_at__isnull=True))
        name = scim_group.display_name
        scim_group.delete()
        if _roles_mapped(organization):
            _members_sync(actor, members)
        audit_record(actor=actor, action="scim.group_deleted", organization=organization, target_type="scim_group",
                     target_id=name, summary=f"{actor.display} deprovisioned the group {name}")


def user_patch_base(scim_user: ScimUser, location: str) -> User:
    """The user a PATCH applies to: as the provider last described it."""
    user = user_resource(scim_user, location)
    user.groups = None
    user.meta = None
    return user


def group_patch_base(scim_group: ScimGroup, location: str, users_location: str) -> Group:
    group = group_resource(scim_group, location, users_location)
    group.meta = None
    return group

