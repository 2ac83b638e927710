from django import forms
from django.utils.translation import gettext_lazy as _


class RegenerateForm(forms.Form):
    """Why the service manager writes a new version (a form field refuses a NUL)."""

    reason = forms.CharField(label=_("Why"), max_length=300, required=False)
