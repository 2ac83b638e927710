"""``manage.py backup``: the database, MEDIA_ROOT and the secret key file in one archive
(core/backup.py). Safe while the app runs; prints the archive's path."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_create, default_archive_name


class Command(BaseCommand):
    help = "Back up the database, the uploaded files and the secret key file into one tar.gz."

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--output", type=Path, help="the archive to write")
        where.add_argument(
            "--output-dir",
            type=Path,
            help="write medservice-<UTC time>.tar.gz here (default: BACKUP_DIR or var/backups)",
        )

    def handle(self, *args, output: Path | None, output_dir: Path | None, **options):
        if output is None:
            directory = output_dir or Path(
                os.environ.get("BACKUP_DIR") or Path(settings.VAR_DIR) / "backups"
            )
            output = directory / default_archive_name()
        try:
            manifest = backup_create(output=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        key = "with the secret key file" if manifest["secret_key"] else "no secret key file"
        self.stderr.write(
            f"{manifest['database']['vendor']} database, {media} media files, {key}"
            + ("" if manifest["secret_key"] else " (SECRET_KEY comes from the environment)")
        )
        self.stdout.write(str(output.resolve()))
