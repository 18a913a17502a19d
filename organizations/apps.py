from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"

    def ready(self) -> None:
        # Registers the operation kinds this package carries out with their tasks (portal.operations).
        from organizations import tasks  # noqa: F401
        from organizations.webhooks.services import operation_finished_record
        from portal.operations import operation_finished

        operation_finished.connect(operation_finished_record, dispatch_uid="organizations.api_events")
