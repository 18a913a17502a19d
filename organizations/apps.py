from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"

    def ready(self) -> None:
        from organizations.webhooks.services import operation_finished_record
        from portal.operations import operation_finished

        operation_finished.connect(operation_finished_record, dispatch_uid="organizations.api_events")
