from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"

    def ready(self) -> None:
        # Registers the operation kinds this package carries out with their tasks (portal.operations).
        from organizations.signals import metadata_schema_saved
        from users import tasks  # noqa: F401
        from users.directory.mirror import search_text_rebuild_request

        # Which metadata fields are searchable may have changed: the organization's search text follows.
        metadata_schema_saved.connect(search_text_rebuild_request, dispatch_uid="users.search_text_rebuild")
