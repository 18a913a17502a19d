"""``manage.py directory_sync [--full] [--organization SLUG] [--queue]``: a directory sync on demand."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from organizations.models import Organization
from users.directory.sync import sync_run_start
from users.models import SyncRun
from users.tasks import directory_sync

# While a worker holds the run, look at its progress this often.
FOLLOW_SECONDS = 2.0


class Command(BaseCommand):
    help = ("Sync the directory with Auth0 now: the changes since the last sync (default), or everything "
            "(--full). Runs here with a progress bar, or on the workers (--queue).")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--full", action="store_true",
                            help="a full import and reconcile (also removes users deleted in Auth0)")
        parser.add_argument("--organization", metavar="SLUG", help="a full sync of one organization's users")
        parser.add_argument("--queue", action="store_true",
                            help="send the run to the Celery workers and return at once")

    def handle(self, *args, full: bool, organization: str | None, queue: bool, **options) -> None:
        target = None
        if organization:
            target = Organization.objects.filter(slug=organization).first()
            if target is None:
                raise CommandError(f"There is no organization “{organization}”.")
            full = True
        kind = SyncRun.Kind.FULL if full else SyncRun.Kind.DELTA
        run = sync_run_start(kind=kind, organization=target, queue=queue)
        if queue:
            self.stdout.write(f"{run.get_kind_display()} queued (run {run.pk}); its progress is on the directory "
                              "status page.")
            return
        run = self._advance(run)
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"The sync failed: {run.last_error}")
        self.stdout.write(self.style.SUCCESS(
            f"{run.get_kind_display()} done in {run.duration_seconds:.1f}s: {run.users_seen} users read, "
            f"{run.users_written} written, {run.users_deleted} removed, {run.memberships_added} memberships added, "
            f"{run.memberships_removed} removed."))

    def _advance(self, run: SyncRun) -> SyncRun:
        """Run the sync task here (``.apply()``), step after step, showing how many users it has read; if
        a worker holds the run already, the step comes back at once and this follows its progress."""
        with tqdm(desc=run.get_kind_display(), unit=" users", file=self.stderr, dynamic_ncols=True) as bar:
            while True:
                wait = directory_sync.apply(args=[run.pk]).get()
                run.refresh_from_db()
                bar.update(run.users_seen - bar.n)
                bar.set_postfix_str(run.state.get("step", ""), refresh=True)
                if run.status != SyncRun.Status.RUNNING:
                    return run
                time.sleep(FOLLOW_SECONDS if wait is None else min(wait, 15.0))
