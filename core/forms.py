"""Form helpers shared by the apps' views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form: next to the field it names when
    the form has that field, otherwise at the top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        for error in errors:
            form.add_error(target, error)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


FORM_TEMPLATE = "_form.html"


if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class BootstrapFormMixin(_FormBase):
    """Bootstrap 5 classes on every widget, ``is-invalid`` on fields with errors, and a
    stacked rendering (``{{ form }}``) that stays comfortable on a phone."""

    template_name = FORM_TEMPLATE

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                kind, css = "checks", "form-check-input"
            elif isinstance(widget, forms.CheckboxInput):
                kind, css = "check", "form-check-input"
            elif isinstance(widget, forms.Select):
                kind, css = "input", "form-select"
            else:
                kind, css = "input", "form-control"
            field.widget_kind = kind  # type: ignore[attr-defined]  # read by _form.html
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


class ServiceModelForm(BootstrapFormMixin, forms.ModelForm):
    """A ModelForm used for its fields and widgets only: the model is validated and saved
    by the app's service, so the form skips Django's own model validation (which would
    check the half-built instance twice and differently)."""

    def _post_clean(self) -> None:
        pass
