"""Verified domains and SSO connections over the API. Domains: list, add, read, ask for a check, remove;
connections: list, set up, read, turn on or off, remove. Each view is one scoped selector or
one of ``domains.services`` (which check the caller's rights again and record the audit events); a domain of
another organization is a 404. Writes take an ``Idempotency-Key``."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.action_views import IDEMPOTENCY_PARAMETER, parsed, replay
from api.base import ApiView
from api.enterprise import examples
from api.enterprise.serializers import (
    DomainInput,
    DomainSerializer,
    SsoConnectionInput,
    SsoConnectionSerializer,
    domain_url,
    sso_connection_url,
)
from api.idempotency import idempotent
from api.views import READ_ORGS, WRITE_ORGS, organization_of, principal_of
from domains import selectors, services
from domains.models import Domain
from sso import selectors as sso_selectors
from sso import services as sso_services
from sso.models import SsoConnection

RESPONSES = {400: OpenApiResponse(description="Field errors (e.g. not a domain, or verified by another "
                                              "organization)"),
             403: OpenApiResponse(description="insufficient_scope, or the caller is not an admin of the organization"),
             404: OpenApiResponse(description="Outside the caller's organizations"),
             422: OpenApiResponse(description="Idempotency-Key reused for another request")}
ADMINS_ONLY = "The organization's admins (and company-wide callers) only."


def _domain_of(request: Request, slug: str, domain_id: int) -> Domain:
    organization = organization_of(request, slug)
    return selectors.domain_get(principal=principal_of(request), organization=organization, domain_id=domain_id)


class DomainCollectionView(ApiView):
    permissions_required = {"GET": READ_ORGS, "POST": WRITE_ORGS}

    @extend_schema(summary="The organization's email domains", responses=DomainSerializer(many=True),
                   examples=examples.DOMAIN_LIST, description=f"Permission: organizations:read. {ADMINS_ONLY}")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        domains = selectors.domain_list(principal=principal_of(request), organization=organization)
        return Response(DomainSerializer(domains, many=True).data)

    @extend_schema(request=DomainInput, parameters=[IDEMPOTENCY_PARAMETER], examples=examples.DOMAIN_CREATE,
                   responses={201: DomainSerializer, **RESPONSES}, summary="Add a domain to verify",
                   description="Permission: organizations:write. The answer names the TXT record to publish "
                               "(record_name, record_value); then ask for a check (verify).")
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        data = parsed(DomainInput, request)

        def perform(key: str | None) -> tuple[Response, None]:
            domain = services.domain_add(actor=principal_of(request), organization=organization, name=data["name"])
            return Response(DomainSerializer(domain).data, status=status.HTTP_201_CREATED,
                            headers={"Location": domain_url(domain)}), None
        return idempotent(request, perform, replay)


class DomainDetailView(ApiView):
    permissions_required = {"GET": READ_ORGS, "DELETE": WRITE_ORGS}

    @extend_schema(summary="A domain and its verification state", responses=DomainSerializer,
                   examples=examples.DOMAIN_DETAIL, description=f"Permission: organizations:read. {ADMINS_ONLY}")
    def get(self, request: Request, slug: str, domain_id: int) -> Response:
        return Response(DomainSerializer(_domain_of(request, slug, domain_id)).data)

    @extend_schema(request=None, responses={204: None, **RESPONSES}, summary="Remove a domain",
                   description="Permission: organizations:write. Sign-in stops sending its emails here.")
    def delete(self, request: Request, slug: str, domain_id: int) -> Response:
        services.domain_remove(actor=principal_of(request), domain=_domain_of(request, slug, domain_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DomainVerifyView(ApiView):
    permissions_required = {"POST": WRITE_ORGS}

    @extend_schema(request=None, parameters=[IDEMPOTENCY_PARAMETER], examples=examples.DOMAIN_VERIFY,
                   responses={202: DomainSerializer, **RESPONSES}, summary="Check a domain's DNS record now",
                   description="Permission: organizations:write. The check runs in the background: read the "
                               "domain again for its status and check_message.")
    def post(self, request: Request, slug: str, domain_id: int) -> Response:
        domain = _domain_of(request, slug, domain_id)

        def perform(key: str | None) -> tuple[Response, None]:
            checked = services.domain_verify_request(actor=principal_of(request), domain=domain)
            return Response(DomainSerializer(checked).data, status=status.HTTP_202_ACCEPTED,
                            headers={"Location": domain_url(checked)}), None
        return idempotent(request, perform, replay)


def _sso_of(request: Request, slug: str, connection_id: int) -> SsoConnection:
    organization = organization_of(request, slug)
    return sso_selectors.sso_connection_get(principal=principal_of(request), organization=organization,
                                            connection_id=connection_id)


def _sso_response(connection: SsoConnection, code: int = status.HTTP_200_OK) -> Response:
    connection = SsoConnection.objects.select_related("organization").get(pk=connection.pk)
    return Response(SsoConnectionSerializer(connection).data, status=code,
                    headers={"Location": sso_connection_url(connection)})


class SsoConnectionCollectionView(ApiView):
    permissions_required = {"GET": READ_ORGS, "POST": WRITE_ORGS}

    @extend_schema(summary="The organization's SSO connections", responses=SsoConnectionSerializer(many=True),
                   examples=examples.CONNECTION_LIST, description=f"Permission: organizations:read. {ADMINS_ONLY}")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        connections = sso_selectors.sso_connection_list(principal=principal_of(request), organization=organization)
        return Response(SsoConnectionSerializer(connections, many=True).data)

    @extend_schema(request=SsoConnectionInput, parameters=[IDEMPOTENCY_PARAMETER], examples=examples.CONNECTION_CREATE,
                   responses={202: SsoConnectionSerializer, **RESPONSES}, summary="Set up an SSO connection",
                   description="Permission: organizations:write. samlp: metadata_xml or metadata_url, or "
                               "sign_in_url and signing_cert (idp_entity_id optional); oidc: issuer, client_id, "
                               "client_secret (write-only). The Auth0 connection is created in the background: poll "
                               "the Location until its status is ready, give the provider its provider_values, test "
                               "it by signing in on its page, then turn it on.")
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        data = parsed(SsoConnectionInput, request)

        def perform(key: str | None) -> tuple[Response, None]:
            actor = principal_of(request)
            if data["strategy"] == "samlp":
                connection = sso_services.saml_connection_create(
                    actor=actor, organization=organization, display_name=data["display_name"],
                    metadata_xml=data["metadata_xml"], metadata_url=data["metadata_url"],
                    idp_entity_id=data["idp_entity_id"],
                    sign_in_url=data["sign_in_url"], signing_cert=data["signing_cert"], idempotency_key=key)
            else:
                connection = sso_services.oidc_connection_create(
                    actor=actor, organization=organization, display_name=data["display_name"],
                    issuer=data["issuer"], client_id=data["client_id"], client_secret=data["client_secret"],
                    idempotency_key=key)
            return _sso_response(connection, status.HTTP_202_ACCEPTED), None
        return idempotent(request, perform, replay)


class SsoConnectionDetailView(ApiView):
    permissions_required = {"GET": READ_ORGS, "DELETE": WRITE_ORGS}

    @extend_schema(summary="An SSO connection", responses=SsoConnectionSerializer, examples=examples.CONNECTION_DETAIL,
                   description=f"Permission: organizations:read. {ADMINS_ONLY} Secrets are never returned.")
    def get(self, request: Request, slug: str, connection_id: int) -> Response:
        return _sso_response(_sso_of(request, slug, connection_id))

    @extend_schema(request=None, responses={204: None, **RESPONSES}, summary="Remove an SSO connection",
                   description="Permission: organizations:write. Only one that is not on; Auth0's connection is "
                               "deleted in the background.")
    def delete(self, request: Request, slug: str, connection_id: int) -> Response:
        sso_services.connection_remove(actor=principal_of(request), connection=_sso_of(request, slug, connection_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SsoConnectionSwitchView(ApiView):
    permissions_required = {"POST": WRITE_ORGS}
    on = True

    @extend_schema(request=None, parameters=[IDEMPOTENCY_PARAMETER], examples=examples.CONNECTION_SWITCH,
                   responses={202: SsoConnectionSerializer, **RESPONSES}, summary="Turn an SSO connection on or off",
                   description="Permission: organizations:write. On: only after a successful test sign-in since its "
                               "last change. Off: refused (403) when the caller signs in through this connection.")
    def post(self, request: Request, slug: str, connection_id: int) -> Response:
        connection = _sso_of(request, slug, connection_id)

        def perform(key: str | None) -> tuple[Response, None]:
            sso_services.connection_switch(actor=principal_of(request), connection=connection, on=self.on)
            return _sso_response(connection, status.HTTP_202_ACCEPTED), None
        return idempotent(request, perform, replay)


class SsoConnectionOffView(SsoConnectionSwitchView):
    on = False
