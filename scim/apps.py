from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "scim"
    verbose_name = "SCIM provisioning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import email_validator

        from portal.operations import operation_finished
        from scim import tasks  # noqa: F401 - registers the operation kinds' tasks
        from scim.sync import invitation_finished

        operation_finished.connect(invitation_finished, dispatch_uid="scim.invitation_finished")

        # scim2-models checks emails with email-validator, which refuses special-use domains (.test, .local, …) as
        # undeliverable on the Internet. Auth0 and the portal (Django's validate_email) accept them, and directories
        # use them (an Entra ID tenant's corp.local names): the portal's own rule decides, as everywhere else.
        # email-validator documents this list as the setting to change.
        email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = []
