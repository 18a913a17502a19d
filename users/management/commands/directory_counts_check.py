"""``manage.py directory_counts_check [--report-only]``: recount the directory's counts and put right any drift."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from users.directory.counts import directory_counts_check


class Command(BaseCommand):
    help = ("Recount each organization's members, blocked members and members who never signed in, and the "
            "tenant's people, against the counts the directory's writes keep; report every difference and put "
            "it right (unless --report-only). Every full sync does the same as it ends.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--report-only", action="store_true", help="report the drifts without putting them right")

    def handle(self, *args, report_only: bool, **options) -> None:
        drifts = directory_counts_check(fix=not report_only)
        for drift in drifts:
            self.stdout.write(f"{drift}{'' if report_only else ' (put right)'}")
        if drifts:
            self.stdout.write(self.style.WARNING(f"{len(drifts)} count(s) had drifted."))
        else:
            self.stdout.write(self.style.SUCCESS("Every count matches a recount."))
