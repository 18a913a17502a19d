from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from app_roles.tasks import demo_app_roles_seed
from organizations.management.demo import demo_tool_clients_register
from organizations.models import Organization
from organizations.tasks import demo_seed
from users.tasks import directory_streams_register


class Command(BaseCommand):
    help = "Everything the processes need before they start: database schema and static files."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--demo", action="store_true",
            help="Also queue the demo organizations and roles (the worker creates them once the emulator answers) "
                 "and the registration of the portal's receiver of pushed changes with the emulator's streams.",
        )

    def handle(self, *args, demo: bool = False, **options) -> None:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=1)
        call_command("createcachetable", verbosity=0)  # only does something for the database cache
        call_command("collectstatic", interactive=False, verbosity=0)
        if demo:
            if Organization.objects.exists():
                self.stdout.write("Organizations exist already: the demo is not queued again.")
                # A database prepared before the demo had tool clients gets them now (no emulator needed).
                for client_id in demo_tool_clients_register(actor=None):
                    self.stdout.write(f"The demo's tool client {client_id} is registered for the REST API.")
            else:
                demo_seed.delay()
                self.stdout.write("The demo organizations are queued; the worker creates them in a moment.")
            # Acme's grantable application roles, once its organization exists (left alone once chosen).
            demo_app_roles_seed.delay()
            if settings.DIRECTORY_STREAM_URL and settings.DIRECTORY_STREAM_TOKEN:
                # Idempotent (a stream of the portal's name is replaced), so every start re-registers.
                directory_streams_register.delay(settings.DIRECTORY_STREAM_URL)
                self.stdout.write(f"Changes in the tenant will be pushed to {settings.DIRECTORY_STREAM_URL}.")
        self.stdout.write(self.style.SUCCESS("Ready."))
