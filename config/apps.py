from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Installed only for its management command (``prepare``), which wires the packages together."""

    name = "config"
    verbose_name = "Composition root"
