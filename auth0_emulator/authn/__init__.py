"""Authentication API: OIDC discovery, JWKS, /authorize with the hosted login page, /oauth/token,
/userinfo, logout, /dbconnections, the pages tickets point to, the outbox, and an index page at /.

The OpenID provider's endpoints are in ``oidc/``, the hosted HTML pages in ``pages/``. Beside them, what
both use: ``errors`` (error answers and the endpoint decorators), ``params`` (reading requests),
``clients`` (applications), ``sessions`` (login transactions and SSO sessions), ``access`` (who may log
in where), ``invitations`` (Organization invitations at login); and the endpoints of their own:
``dbconnections`` (``/dbconnections/*``), ``outbox`` and ``controls`` (``/emulator/*``).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from ..tenant import Tenant
from . import controls, dbconnections, outbox
from .enterprise import routes as enterprise_routes
from .oidc import authorize, discovery, logout, token, userinfo
from .pages import index, login, render, signup, tickets


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route("/", index.index_page, methods=["GET"]),
        Route("/.well-known/openid-configuration", discovery.openid_configuration_get, methods=["GET"]),
        Route("/.well-known/jwks.json", discovery.jwks_get, methods=["GET"]),
        Route("/authorize", authorize.authorize_get, methods=["GET"]),
        Route("/u/login", login.login_get, methods=["GET"]),
        Route("/login/enterprise", enterprise_routes.enterprise_start, methods=["GET"]),
        Route("/login/callback", enterprise_routes.saml_callback, methods=["POST"]),
        Route("/login/callback", enterprise_routes.oidc_callback, methods=["GET"]),
        Route("/u/login", login.login_post, methods=["POST"]),
        Route("/u/signup", signup.signup_get, methods=["GET"]),
        Route("/u/signup", signup.signup_post, methods=["POST"]),
        Route("/oauth/token", token.token_post, methods=["POST"]),
        Route("/oauth/revoke", token.revoke_post, methods=["POST"]),
        Route("/userinfo", userinfo.userinfo, methods=["GET", "POST"]),
        Route("/v2/logout", logout.v2_logout, methods=["GET"]),
        logout.EndSessionRoute(tenant),
        Route("/dbconnections/change_password", dbconnections.change_password, methods=["POST"]),
        Route("/dbconnections/signup", dbconnections.signup, methods=["POST"]),
        Route("/u/reset-password", tickets.reset_password_get, methods=["GET"]),
        Route("/u/reset-password", tickets.reset_password_post, methods=["POST"]),
        Route("/u/reset-password/request", tickets.reset_request_get, methods=["GET"]),
        Route("/u/reset-password/request", tickets.reset_request_post, methods=["POST"]),
        Route("/u/email-verification", tickets.email_verification_get, methods=["GET"]),
        Route(render.STYLESHEET_PATH, render.stylesheet, methods=["GET"]),
        Route("/favicon.ico", render.favicon, methods=["GET"]),
        Route("/emulator/outbox", outbox.outbox_get, methods=["GET"]),
        Route("/emulator/outbox", outbox.outbox_delete, methods=["DELETE"]),
        Route("/emulator/outbox/page", outbox.outbox_page, methods=["GET"]),
        Route("/emulator/clients/{client_id}", controls.client_urls_add, methods=["POST"]),
        Route("/emulator/authn/settings", controls.settings_post, methods=["POST"]),
    ]
