from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from core.uploads import accept_attribute

from .services import CERTIFICATE_TYPES


class AcceptanceCertificateForm(BootstrapFormMixin, forms.Form):
    document = forms.FileField(
        label=_("Acceptance certificate"),
        help_text=_("The signed certificate: a PDF, or a photo (JPEG, PNG)."),
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute(CERTIFICATE_TYPES)}),
    )
