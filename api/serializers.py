"""What the API returns and accepts. Output serializers describe the JSON (and the OpenAPI schema); input
serializers only parse: every rule is the services', whose ValidationErrors come back as 400 field errors."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from organizations.models import Organization, OrganizationRole
from portal.audit import audit_action_label
from portal.models import AuditEvent, Operation
from users.acts.account import USER_ACTIONS
from users.acts.invite import NAME_MAX


class OrganizationSerializer(serializers.ModelSerializer):
    membership_mode_label = serializers.CharField(source="get_membership_mode_display", read_only=True)
    domains = serializers.SerializerMethodField()
    connected = serializers.BooleanField(source="is_provisioned", read_only=True)

    class Meta:
        model = Organization
        fields = ["slug", "display_name", "membership_mode", "membership_mode_label", "connection_name",
                  "domains", "connected", "invite_link_lifetime_days"]

    def get_domains(self, organization: Organization) -> list[str]:
        return sorted(d.domain for d in organization.domains.all())


class UserRowSerializer(serializers.Serializer):
    """One row of a user list (an organization's list is read from its memberships' copies of these)."""

    user_id = serializers.SerializerMethodField()
    email = serializers.CharField()
    email_verified = serializers.BooleanField()
    name = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    connection = serializers.CharField()
    blocked = serializers.BooleanField()
    logins_count = serializers.IntegerField()
    last_login = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)

    def get_user_id(self, row) -> str:
        return getattr(row, "auth0_user_id", "") or row.user_id


class UserSerializer(UserRowSerializer):
    nickname = serializers.CharField()
    picture = serializers.CharField()
    identities = serializers.JSONField()
    metadata = serializers.SerializerMethodField(
        help_text="The organization's schema fields the caller may see, keyed like Auth0's user.")

    def get_metadata(self, user) -> dict:
        fields = self.context.get("metadata_fields", [])
        shown: dict[str, dict] = {}
        for field in fields:
            source = getattr(user, field.target, None) or {}
            if field.key in source:
                shown.setdefault(field.target, {})[field.key] = source[field.key]
        return shown


class UserPageSerializer(serializers.Serializer):
    results = UserRowSerializer(many=True)
    total = serializers.IntegerField()
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as ?after= for the next page")
    previous_cursor = serializers.CharField(allow_null=True, help_text="Pass as ?before= for the previous page")


class OperationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    actor = serializers.CharField(source="actor_display", read_only=True)
    error = serializers.CharField(source="last_error", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = ["id", "kind", "kind_label", "status", "status_label", "organization", "target", "actor",
                  "attempts", "error", "result", "created_at", "updated_at", "finished_at", "url"]

    def get_url(self, operation: Operation) -> str | None:
        return operation_url(operation)


def operation_url(operation: Operation) -> str | None:
    if operation.organization_id is None:
        return None
    return reverse("api_operation_detail", kwargs={"slug": operation.organization.slug,
                                                   "operation_id": operation.pk})


class OperationPageSerializer(serializers.Serializer):
    results = OperationSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    previous_cursor = serializers.CharField(allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField()
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    actor = serializers.CharField(source="actor_display", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "actor", "actor_user_id", "organization", "action", "action_label",
                  "target_type", "target_id", "summary", "details", "operation"]

    def get_action_label(self, event: AuditEvent) -> str:
        return audit_action_label(event.action)


class AuditPageSerializer(serializers.Serializer):
    results = AuditEventSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    previous_cursor = serializers.CharField(allow_null=True)


class RoleSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = OrganizationRole
        fields = ["id", "user_id", "email", "name", "role", "role_label", "created_at"]


class ApiEventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="evt_<n>: also the webhook-id header of its webhook POSTs")
    type = serializers.ChoiceField(choices=["operation.finished", "user.changed", "user.deleted"])
    organization = serializers.CharField(help_text="The organization's slug")
    occurred_at = serializers.DateTimeField()
    data = serializers.DictField(help_text="operation.finished: {operation: {id, kind, status, target, error, "
                                           "actor}}; user.changed and user.deleted: {user_id}")


class ApiEventPageSerializer(serializers.Serializer):
    results = ApiEventSerializer(many=True)
    next_cursor = serializers.CharField(help_text="Pass as ?after= next time: the events after these")


# -- input ---------------------------------------------------------------------------------------------------
# The longest Auth0 role id the portal keeps (app_roles.models.TenantRole), and the most roles one request names.
ROLE_ID_MAX_LENGTH = 64
ROLES_MAX = 50
# The longest email address the services take (users.acts.invite.EMAIL_MAX, RFC 5321's path limit).
EMAIL_MAX_LENGTH = 254
# NUL is refused in every text (no database column takes it); as a validator, the schema's pattern says so too.
NO_NUL = RegexValidator(r"^[^\x00]*\Z", message=_("A NUL character is not allowed."))


class TextField(serializers.CharField):
    """Text, and only text, as given: DRF's CharField also takes a number and makes it text, which a schema's
    string does not allow."""

    def __init__(self, **kwargs) -> None:
        # As given: DRF would strip whitespace (to Python, which counts more characters as space than a
        # schema's reader does) and could make a schema-valid text blank. The services normalise it.
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        # NO_NUL instead of DRF's own NUL check: one message, and a pattern in the schema.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(NO_NUL)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class EmailAddressField(serializers.EmailField):
    """An email address as given: the schema's format email, so no whitespace is trimmed into one."""

    default_error_messages = {"invalid": _("Enter a valid email address, like name@example.com.")}  # the services'

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=EMAIL_MAX_LENGTH, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false: DRF's BooleanField also takes "yes", 1 and "on", which a schema's boolean does not."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class InputSerializer(serializers.Serializer):
    """A request body: a JSON object of these fields and no others. Unknown fields are refused (a misspelt field
    would otherwise be dropped without a word), and the schema says so (additionalProperties: false,
    api.schema)."""

    unknown_field = _("Not a field of this request.")

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors = {str(name): [self.unknown_field] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class InviteInput(InputSerializer):
    email = EmailAddressField()
    # The service's own limit (users.acts.invite.NAME_MAX), after runs of spaces are made one.
    name = TextField(max_length=NAME_MAX, required=False, allow_blank=True, default="")
    # Metadata to set as they join, by the schema's rules (errors keyed "<target>.<key>"); every required field
    # the caller may set needs a value.
    user_metadata = serializers.DictField(required=False, help_text="Schema field key -> value")
    app_metadata = serializers.DictField(required=False, help_text="Schema field key -> value")
    roles = serializers.ListField(
        child=TextField(max_length=ROLE_ID_MAX_LENGTH), required=False, max_length=ROLES_MAX,
        help_text="Application roles to give once they are ready: role_id values the organization may grant")


class MetadataInput(InputSerializer):
    user_metadata = serializers.DictField(required=False, help_text="key -> value; null deletes the key")
    app_metadata = serializers.DictField(required=False, help_text="key -> value; null deletes the key")


class DeleteInput(InputSerializer):
    confirmation = TextField(max_length=320, help_text="The user's email (or their user id if they have none), as "
                                                       "a typed confirmation")


class RoleGrantInput(InputSerializer):
    email = EmailAddressField()
    role = serializers.ChoiceField(choices=OrganizationRole.Role.choices)


class RoleRevokeInput(InputSerializer):
    """The body earlier versions took on DELETE (OpenAPI 3.0 has no body there: ?confirm=true is documented)."""

    confirm = StrictBooleanField(default=False)


ACTION_SLUGS = sorted(USER_ACTIONS)
