"""The filters of the regime documents: one FilterSet, used by the API and the export alike
(``core.filtering``). No page lists the documents of every hospital: a hospital's regime
page shows its own, by kind."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.filtering import ChoiceFilter, ListFilterSet, RecordFilter, in_scope
from customers.models import Hospital

from .models import RegimeKind


class RegimeDocumentFilterSet(ListFilterSet):
    hospital = RecordFilter(
        label=_("Hospital"), queryset=in_scope(Hospital), empty_label=_("All hospitals")
    )
    kind = ChoiceFilter(label=_("Kind"), choices=RegimeKind.choices, empty_label=_("Any kind"))
