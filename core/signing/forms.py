"""What a sign page posts: the signer's name (and position, when the hospital signs on the
vendor's device) and the drawing. The forms parse; ``core.signing.workflow`` and the kind's
service decide."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from core.signatures import MAX_SIGNATURE_BYTES

# signature_pad's toDataURL() of the largest image accepted, with room for the prefix.
MAX_DATA_URL = (MAX_SIGNATURE_BYTES + 2) // 3 * 4 + 100


def signature_field() -> forms.CharField:
    """The drawing as a PNG data URL in a hidden input (``templates/_signature_pad.html``).
    Not required here: an empty pad is stopped in the page, and the service says why. A form
    sent back with an error renders the posted value again, and the pad shows it."""
    return forms.CharField(
        widget=forms.HiddenInput,
        max_length=MAX_DATA_URL,
        required=False,
        error_messages={"max_length": _("The signature image is too large.")},
    )


class SignatureForm(BootstrapFormMixin, forms.Form):
    signer_name = forms.CharField(
        label=_("Name of the signer"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control-lg", "autocomplete": "name"}),
    )
    # Asked (and required by the service) when the hospital signs on the vendor's device.
    signer_role = forms.CharField(
        label=_("Position of the signer"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control-lg"}),
        help_text=_("For example head nurse, or head of the equipment department."),
    )
    signature = signature_field()


def mark_required_to_sign(form: forms.BaseForm, names: Iterable[str]) -> None:
    """Mark the fields a document needs before anyone signs it (``SignedDocument.missing``):
    ``templates/_form.html`` puts the required star and "needed to sign" next to their
    labels, and the input says it is required (``required``, ``aria-required``: the form is
    ``novalidate``, so a draft may still be saved without them; issue 12 §2)."""
    for name in names:
        if name in form.fields:
            field = form.fields[name]
            field.required_to_sign = True  # type: ignore[attr-defined]  # read by _form.html
            field.widget.attrs["data-required-to-sign"] = ""
            field.widget.attrs["required"] = True
            field.widget.attrs["aria-required"] = "true"
