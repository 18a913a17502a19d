from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "domains"
    verbose_name = "Verified domains"

    def ready(self) -> None:
        from domains import tasks  # noqa: F401  (registers the tasks by name)
