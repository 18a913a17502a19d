"""Writes to an organization's SSO connections: set one up (the Auth0 enterprise connection is created by a task),
change its certificate or secret, record a test sign-in, turn it on or off (per membership mode), remove it.

Each service re-checks the actor's rights, owns its transaction, records an audit event (never a secret) and an
Operation for what Auth0 must do. The Auth0 side is in :mod:`sso.auth0_side` (what the tasks run)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from organizations.models import Organization
from portal.audit import audit_record
from portal.models import Operation, OperationKind
from portal.operations import operation_create, operation_enqueue_on_commit
from portal.outbound import url_loopback_port
from portal.principal import Principal
from sso import certificates
from sso.models import SsoConnection

OPEN = ("creating", "ready", "on", "off")


def _require_admin(actor: Principal, organization: Organization) -> None:
    if not actor.can_admin(organization.pk):
        raise PermissionDenied(_("Only the organization's admins manage its sign-in."))


def connection_name_for(organization: Organization, strategy: str) -> str:
    """``<slug>-saml`` or ``<slug>-oidc`` (a number after it when taken): Auth0's name rules."""
    base = slugify(f"{organization.slug}-{'saml' if strategy == 'samlp' else 'oidc'}")[:120].strip("-")
    name, n = base, 1
    while SsoConnection.objects.filter(name=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _operation(actor: Principal, connection: SsoConnection, kind: str, payload: dict,
               idempotency_key: str | None = None) -> Operation:
    operation = operation_create(kind=kind, actor=actor, organization=connection.organization,
                                 target=f"sso:{connection.name}", payload={"connection": connection.pk, **payload},
                                 idempotency_key=idempotency_key)
    operation_enqueue_on_commit(operation)
    return operation


def _audit(actor: Principal, connection: SsoConnection, action: str, summary: str, operation=None,
           details: dict | None = None) -> None:
    audit_record(actor=actor, action=action, organization=connection.organization, target_type="sso_connection",
                 target_id=connection.name, summary=summary, details=details or {}, operation=operation)


def saml_connection_create(
    *, actor: Principal, organization: Organization, display_name: str, metadata_xml: str = "",
    metadata_url: str = "", idp_entity_id: str = "", sign_in_url: str = "", signing_cert: str = "",
    idempotency_key: str | None = None,
) -> SsoConnection:
    """A SAML connection from the provider's metadata (a document, or its address), or from its entity id, sign-in
    URL and certificate."""
    _require_admin(actor, organization)
    if metadata_url.strip() and not metadata_xml.strip():
        try:
            metadata_xml = certificates.metadata_fetch(metadata_url)
            certificates.metadata_read(metadata_xml)
        except ValidationError as exc:
            raise ValidationError({"metadata_url": exc.message_dict.get("metadata_url") or exc.message_dict.get(
                "metadata")}) from None
    if metadata_xml.strip():
        read = certificates.metadata_read(metadata_xml)
        idp_entity_id, sign_in_url, signing_cert = read.entity_id, read.sign_in_url, read.signing_cert
    else:
        errors = {f: _("Give this, or upload your provider's metadata instead.") for f, v in
                  (("sign_in_url", sign_in_url), ("signing_cert", signing_cert)) if not v.strip()}
        if errors:
            raise ValidationError(errors)
        signing_cert = certificates.certificate_pem(signing_cert)
    # The browser goes there, not the portal: https, or a provider on the person's own machine (development).
    if not sign_in_url.startswith("https://") and url_loopback_port(sign_in_url) is None:
        raise ValidationError({"sign_in_url": _("The sign-in URL must start with https://.")})
    return _create(actor, organization, SsoConnection(
        strategy="samlp", display_name=display_name, idp_entity_id=idp_entity_id, sign_in_url=sign_in_url,
        signing_cert=signing_cert), idempotency_key)


def oidc_connection_create(
    *, actor: Principal, organization: Organization, display_name: str, issuer: str, client_id: str,
    client_secret: str, idempotency_key: str | None = None,
) -> SsoConnection:
    _require_admin(actor, organization)
    errors = {f: _("This is needed.") for f, v in (("issuer", issuer), ("client_id", client_id),
                                                   ("client_secret", client_secret)) if not v.strip()}
    if errors:
        raise ValidationError(errors)
    return _create(actor, organization, SsoConnection(
        strategy="oidc", display_name=display_name, issuer=issuer.rstrip("/"), client_id=client_id.strip(),
        client_secret=client_secret.strip()), idempotency_key)


def _create(actor: Principal, organization: Organization, connection: SsoConnection,
            idempotency_key: str | None) -> SsoConnection:
    connection.display_name = connection.display_name.strip() or (
        f"{organization.display_name} {connection.get_strategy_display()}")
    if organization.sso_connections.filter(status__in=OPEN).count() >= 3:
        raise ValidationError(_("An organization has at most three SSO connections: remove one first."))
    with transaction.atomic():
        connection.organization = organization
        connection.name = connection_name_for(organization, connection.strategy)
        connection.created_by = actor.display
        connection.full_clean()
        connection.save()
        operation = _operation(actor, connection, OperationKind.SSO_CONNECTION_CREATE, {}, idempotency_key)
        _audit(actor, connection, "sso.connection_created",
               f"Set up the {connection.get_strategy_display()} connection {connection.display_name}", operation,
               {"strategy": connection.strategy, "name": connection.name,
                "certificate": certificates.certificate_fingerprint(connection.signing_cert)})
    return connection


def connection_change(
    *, actor: Principal, connection: SsoConnection, signing_cert: str = "", client_secret: str = "",
    restore_previous: bool = False,
) -> Operation:
    """Replace the SAML certificate (the old one is kept and can be restored) or the OIDC secret. The connection then
    needs a new test before it can be turned on; one that is on stays on with its new values."""
    _require_admin(actor, connection.organization)
    if connection.auth0_connection_id == "":
        raise ValidationError(_("The connection is still being created: wait until it is ready."))
    with transaction.atomic():
        connection = SsoConnection.objects.select_for_update().get(pk=connection.pk)
        if connection.strategy == "samlp":
            if restore_previous:
                if not connection.previous_signing_cert:
                    raise ValidationError(_("There is no previous certificate to restore."))
                new = connection.previous_signing_cert
            else:
                new = certificates.certificate_pem(signing_cert)
            connection.previous_signing_cert, connection.signing_cert = connection.signing_cert, new
            what = {"certificate": certificates.certificate_fingerprint(new)}
            summary = "Restored the previous certificate of" if restore_previous else "Replaced the certificate of"
        else:
            if not client_secret.strip():
                raise ValidationError({"client_secret": _("Give the new client secret.")})
            connection.client_secret, what, summary = client_secret.strip(), {}, "Replaced the client secret of"
        connection.changed_at = timezone.now()
        connection.save()
        operation = _operation(actor, connection, OperationKind.SSO_CONNECTION_UPDATE, {})
        _audit(actor, connection, "sso.connection_changed", f"{summary} {connection.display_name}", operation, what)
    return operation


def connection_test_record(*, actor: Principal, connection: SsoConnection, signed_in_as: str) -> SsoConnection:
    """A test sign-in through the connection came back (the ID token verified): record it."""
    _require_admin(actor, connection.organization)
    with transaction.atomic():
        SsoConnection.objects.filter(pk=connection.pk).update(tested_at=timezone.now(), tested_as=signed_in_as[:255])
        _audit(actor, connection, "sso.connection_tested",
               f"Tested {connection.display_name}: signed in as {signed_in_as}")
    connection.refresh_from_db()
    return connection


def lockout_refusal(actor: Principal, connection: SsoConnection) -> str:
    """Why turning the connection off (or removing it) would lock the acting admin out ("" when it would not)."""
    if actor.user_id.startswith(connection.user_id_prefix) and not actor.is_company_admin:
        return _("You signed in to the portal through this connection: turning it off would lock you out. Ask "
                 "another admin of the organization who signs in another way (or the company's admins) to do it.")
    return ""


def connection_switch(*, actor: Principal, connection: SsoConnection, on: bool) -> Operation:
    """Turn the connection on (sign-in sends the organization's verified domains to it, and it admits people to the
    organization) or off. Turning on needs a successful test since its last change; turning off is refused when
    it would lock the acting admin out."""
    _require_admin(actor, connection.organization)
    with transaction.atomic():
        connection = SsoConnection.objects.select_for_update().select_related("organization").get(pk=connection.pk)
        if on and connection.status not in ("ready", "off"):
            raise ValidationError(_("Only a connection that is ready (or off) can be turned on."))
        if on and not connection.is_tested:
            raise ValidationError(_("Test the connection with your own sign-in first: it is turned on only once a "
                                    "test sign-in has worked since its last change."))
        if not on and connection.status != "on":
            raise ValidationError(_("The connection is not on."))
        if not on and (refusal := lockout_refusal(actor, connection)):
            raise PermissionDenied(refusal)
        connection.status = "on" if on else "off"
        connection.save(update_fields=["status"])
        operation = _operation(actor, connection, OperationKind.SSO_CONNECTION_SWITCH, {"on": on})
        _audit(actor, connection, "sso.connection_switched",
               f"Turned {connection.display_name} {'on' if on else 'off'}", operation)
    return operation


def connection_remove(*, actor: Principal, connection: SsoConnection) -> None:
    """Remove a connection that is not on (turn it off first); the Auth0 connection is deleted by a task."""
    _require_admin(actor, connection.organization)
    if connection.status == "on":
        raise ValidationError(_("Turn the connection off before removing it."))
    with transaction.atomic():
        operation = None
        if connection.auth0_connection_id:
            operation = operation_create(
                kind=OperationKind.SSO_CONNECTION_UPDATE, actor=actor, organization=connection.organization,
                target=f"sso:{connection.name}",
                payload={"delete": connection.auth0_connection_id, "name": connection.name})
            operation_enqueue_on_commit(operation)
        _audit(actor, connection, "sso.connection_removed", f"Removed the connection {connection.display_name}",
               operation)
        SsoConnection.objects.filter(pk=connection.pk).delete()
