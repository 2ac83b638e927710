"""``manage.py restore ARCHIVE``: put back what ``manage.py backup`` archived (core/backup.py).
Stop the web and the workers first. Refuses a database or MEDIA_ROOT that is not empty
unless ``--force``; ``--verify-only`` checks the archive and changes nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = "Restore the database, the uploaded files and the secret key file from a backup."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database and uploaded files that are not empty",
        )
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="check the archive's checksums and change nothing",
        )

    def handle(self, *args, archive: Path, force: bool, verify_only: bool, **options):
        if not archive.is_file():
            raise CommandError(f"{archive} does not exist")
        try:
            if verify_only:
                manifest = backup_verify(archive=archive)
            else:
                manifest = backup_restore(archive=archive, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        database = manifest["database"]
        self.stdout.write(
            f"{archive}: made {manifest['created_at']}, {database['vendor']} database, "
            f"{len(manifest['files'])} files, checksums verified"
        )
        if verify_only:
            return
        restored = manifest["restored"]
        self.stdout.write(f"restored the database and {restored['media_files']} media files")
        if restored["media_moved_aside"]:
            self.stdout.write(f"the files that were there are in {restored['media_moved_aside']}")
        if restored["secret_key_written"]:
            self.stdout.write(f"secret key written to {restored['secret_key_written']}")
        elif manifest["secret_key"]:
            self.stdout.write(
                "the archive's secret key was not written: SECRET_KEY comes from the environment"
            )
        else:
            self.stdout.write("the archive has no secret key (it came from the environment)")
        if restored["pending_migrations"]:
            self.stdout.write(
                f"{restored['pending_migrations']} migrations to apply: run manage.py migrate"
            )
        self.stdout.write(self.style.SUCCESS("restored; start the web and the workers again"))
