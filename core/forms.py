"""Form helpers shared by the apps' views."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from .bounds import MAX_ID, day_error


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


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The form's ``name`` field as the model choice it was declared: the stubs type every
    entry of ``form.fields`` as a plain ``Field``, which has no queryset."""
    return cast(forms.ModelChoiceField, form.fields[name])


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's ``name`` field as the choice field it was declared (see above)."""
    return cast(forms.ChoiceField, form.fields[name])


def id_from(value: object) -> int | None:
    """A record id from a query string or a form value, or None: digits only, and no larger
    than a database key (``?hospital=99999999999999999999`` overflows SQLite otherwise)."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def _ids_or_invalid(field: forms.ModelChoiceField, values) -> None:
    """Refuse, as Django words a bad pick, a value that cannot be a key of the queryset's
    integer primary key, before the database sees it."""
    key = field.to_field_name or "pk"
    queryset = field.queryset
    model_field = queryset.model._meta.pk if key == "pk" and queryset is not None else None
    if model_field is None or model_field.get_internal_type() not in (
        "AutoField",
        "BigAutoField",
        "IntegerField",
        "BigIntegerField",
    ):
        return
    for value in values:
        if value in field.empty_values:
            continue
        if id_from(value) is None:
            raise ValidationError(
                field.error_messages["invalid_choice"]
                if not isinstance(field, forms.ModelMultipleChoiceField)
                else field.error_messages["invalid_pk_value"],
                code="invalid_choice",
                params={"value": value, "pk": value},
            )


class IdChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` that refuses an impossible id as an invalid choice instead of
    sending it to the database."""

    def to_python(self, value):
        _ids_or_invalid(self, [value])
        return super().to_python(value)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A ``ModelMultipleChoiceField`` that refuses impossible ids before its ``IN`` query."""

    def _check_values(self, value):
        _ids_or_invalid(self, value)
        return super()._check_values(value)  # type: ignore[misc]  # Django's, untyped


def sane_day(value) -> None:
    """The validator every date and date-time field of a form carries (2000 to 2100)."""
    if value is not None and (problem := day_error(value)):
        raise ValidationError(problem, code="out_of_range")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


FORM_TEMPLATE = "_form.html"

# Django's own classes swapped for the bounded ones on every form of the project, the fields
# a ModelForm makes for its relations included.
_BOUNDED_CHOICES: dict[type, type] = {
    forms.ModelChoiceField: IdChoiceField,
    forms.ModelMultipleChoiceField: IdsChoiceField,
}


def _sane_input(field: forms.Field) -> None:
    """Dates between 2000 and 2100; ids a database can hold."""
    if isinstance(field, forms.DateField | forms.DateTimeField) and sane_day not in (
        field.validators
    ):
        field.validators.append(sane_day)
    bounded = _BOUNDED_CHOICES.get(type(field))
    if bounded is not None:
        field.__class__ = bounded


class SaneInputMixin(_FormBase):
    """The bounds of ``_sane_input`` on a form that is not styled (search forms, formsets'
    rows): every form of the project has one of the two mixins."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _sane_input(field)


class BootstrapFormMixin(_FormBase):
    """Bootstrap 5 classes on every widget, ``is-invalid`` on fields with errors, and a
    stacked rendering (``{{ form }}``) that stays comfortable on a phone."""

    template_name = FORM_TEMPLATE

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _sane_input(field)
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
