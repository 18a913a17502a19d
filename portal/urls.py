from django.urls import include, path

from organizations import urls as organization_urls
from portal import views
from portal.signin import oidc
from portal.signin import views as signin

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", signin.signin, name="signin"),
    path("o/<slug:slug>/login", signin.organization_signin, name="organization_signin"),
    path("logout/", signin.signout, name="signout"),
    path("welcome/", signin.landing, name="landing"),
    path("profile/", views.profile, name="profile"),
    # allauth: our strict ID-token callback first; its own login pages lead to ours.
    path("accounts/oidc/<str:provider_id>/login/callback/", oidc.callback, name="openid_connect_callback"),
    path("accounts/oidc/<str:provider_id>/login/", signin.legacy_login_redirect),
    path("accounts/login/", signin.legacy_login_redirect),
    path("accounts/", include("allauth.urls")),
    path("", include(organization_urls)),
]
