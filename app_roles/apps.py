from django.apps import AppConfig


class AppRolesConfig(AppConfig):
    name = "app_roles"
    verbose_name = "Application roles"

    def ready(self) -> None:
        # Registers the operation kinds this package carries out with their tasks (portal.operations).
        from app_roles import tasks  # noqa: F401
