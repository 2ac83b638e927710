from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin

PDF, ZIP = "pdf", "zip"


class DossierForm(BootstrapFormMixin, forms.Form):
    """The range and the shape of a dossier: one PDF, or a zip of the original documents
    with an index. ``from`` and ``to`` are added below (``from`` is a Python keyword)."""

    field_order = ["from", "to", "format"]

    format = forms.ChoiceField(
        label=_("Format"),
        choices=[(PDF, _("One PDF")), (ZIP, _("Zip of the documents with an index"))],
        initial=PDF,
    )


for _name, _label in (("from", _("From")), ("to", _("To"))):
    DossierForm.base_fields[_name] = forms.DateField(
        label=_label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
