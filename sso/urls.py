from django.urls import path

from sso import views

BASE = "o/<slug:slug>/settings/connections/"
ONE = BASE + "<int:connection_id>/"

# Organization-scoped: every route is in the isolation matrix (tests/isolation/test_matrix.py).
urlpatterns = [
    path(BASE, views.sso_connection_list, name="sso_connection_list"),
    path(BASE + "new/saml/", views.sso_connection_create, {"strategy": "saml"}, name="sso_connection_create_saml"),
    path(BASE + "new/oidc/", views.sso_connection_create, {"strategy": "oidc"}, name="sso_connection_create_oidc"),
    path(ONE, views.sso_connection_detail, name="sso_connection_detail"),
    path(ONE + "change/", views.sso_connection_change, name="sso_connection_change"),
    path(ONE + "turn-on/", views.sso_connection_switch, {"on": True}, name="sso_connection_on"),
    path(ONE + "turn-off/", views.sso_connection_switch, {"on": False}, name="sso_connection_off"),
    path(ONE + "remove/", views.sso_connection_remove, name="sso_connection_remove"),
]
