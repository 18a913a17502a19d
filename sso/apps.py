from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = "SSO connections"

    def ready(self) -> None:
        # Registers the operation kinds this package carries out with their tasks (portal.operations).
        from sso import tasks  # noqa: F401
