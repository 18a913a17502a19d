"""Every URL of the portal, composed from the packages' own views (the composition root)."""

from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from history import budget_views
from organizations import urls as organization_urls
from organizations.clients import views as api_client_views
from organizations.webhooks import views as webhook_views
from portal import views as base
from portal.outbox import views as outbox_views
from signin import oidc, sso_test
from signin import views as signin
from users.directory import hooks, sync_views

urlpatterns = [
    path("", signin.home, name="home"),
    path("healthz", base.healthz, name="healthz"),
    path("healthz/live", base.healthz_live, name="healthz_live"),
    path("healthz/ready", base.healthz_ready, name="healthz_ready"),
    path("metrics", base.metrics, name="metrics"),
    # The scripts' strings in the request's language (locale/<language>/LC_MESSAGES/djangojs.po).
    path("jsi18n/", JavaScriptCatalog.as_view(packages=[]), name="javascript_catalog"),
    path("login/", signin.signin, name="signin"),
    path("o/<slug:slug>/login", signin.organization_signin, name="organization_signin"),
    path("logout/", signin.signout, name="signout"),
    path("welcome/", signin.landing, name="landing"),
    path("hooks/auth0", hooks.auth0_hook, name="auth0_hook"),
    path("directory/sync/", sync_views.sync_status_page, name="directory_sync_status"),
    path("directory/sync/start/", sync_views.sync_start, name="directory_sync_start"),
    path("auth0/rate-limits/", budget_views.rate_limits_page, name="rate_limits"),
    path("outbox/", outbox_views.outbox_list, name="outbox"),
    path("outbox/<int:message_id>/", outbox_views.outbox_message, name="outbox_message"),
    path("outbox/<int:message_id>/html", outbox_views.outbox_message_html, name="outbox_message_html"),
    # Only the parts of django-allauth the OIDC flow needs: our strict ID-token callback, and its own
    # login URLs leading to our sign-in page. Its account pages (connections, email, password) are not
    # served: the portal has one way in.
    path("accounts/oidc/<str:provider_id>/login/callback/", oidc.callback, name="openid_connect_callback"),
    path("accounts/oidc/<str:provider_id>/login/", signin.legacy_login_redirect),
    path("accounts/login/", signin.legacy_login_redirect, name="account_login"),
    path("accounts/login/cancelled/", signin.signin_cancelled, name="socialaccount_login_cancelled"),
    path("api/", include("api.urls")),
    path("api-clients/", api_client_views.api_client_list_page, name="api_client_list"),
    path("api-clients/<int:client_pk>/", api_client_views.api_client_edit_page, name="api_client_edit"),
    path("api-clients/<int:client_pk>/webhook/", webhook_views.api_client_webhook_page, name="api_client_webhook"),
    path("api-clients/<int:client_pk>/deliveries/<int:delivery_pk>/redeliver/", webhook_views.api_client_redeliver,
         name="api_client_redeliver"),
    path("", include(organization_urls)),
    path("", include("domains.urls")),
    path("", include("sso.urls")),
    path("o/<slug:slug>/settings/connections/<int:connection_id>/test/", sso_test.sso_test_start,
         name="sso_test_start"),
    path("sso/test/callback/", sso_test.sso_test_callback, name="sso_test_callback"),
    # Before users.urls, whose o/<slug>/users/<user_id>/ would otherwise take "bulk" for a user id.
    path("o/<slug:slug>/users/bulk/", include("onboarding.urls")),
    path("", include("users.urls")),
    path("", include("app_roles.urls")),
    path("", include("users.profile.urls")),
    path("", include("history.urls")),
    path("", include("scim.urls")),
]
