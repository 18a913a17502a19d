from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.conf import settings

        from portal.observability import logs, tracing

        logs.structlog_configure()
        # Never in a log line, whatever logs them (portal.observability.logs).
        logs.secrets_known([
            settings.SECRET_KEY, settings.AUTH0_CLIENT_SECRET, settings.AUTH0_MGMT_CLIENT_SECRET,
            settings.METRICS_TOKEN, settings.DIRECTORY_STREAM_TOKEN, getattr(settings, "EMAIL_HOST_PASSWORD", ""),
        ])
        tracing.tracing_start_if_configured()
