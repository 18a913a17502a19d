from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Bulk onboarding"

    def ready(self) -> None:
        from onboarding.processing.progress import bulk_row_operation_finished
        from portal.operations import operation_finished

        # A row's operation finished: its row records the outcome, and the job sends its next rows.
        operation_finished.connect(bulk_row_operation_finished, dispatch_uid="onboarding.row_finished")
