"""The archive's background work: big dossiers (``archive.dossier.jobs``). Imported here so
the huey consumer, which autodiscovers ``tasks`` modules, knows them."""

from .dossier.jobs import dossier_files_sweep, dossier_make  # noqa: F401
