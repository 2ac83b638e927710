"""Reads of exports: a user's own jobs (nobody else's, vendor administrators included: a
file holds what its owner could see)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ExportJob


def jobs_of(user) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(owner=user)
