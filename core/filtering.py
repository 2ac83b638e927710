"""One filter definition per list (GUIDE 14), used by the page, the API and the export.

A list's filters are one django-filter ``FilterSet`` (a ``ListFilterSet``) in its app's
``filters.py``. From that one class:

- the HTML view binds it to ``request.GET`` and renders ``filterset.form`` (Bootstrap styling
  and the project's input bounds through ``FilterForm``), and lists ``filterset.qs``; a value
  outside the viewer's scope (a hospital they cannot see) is an invalid choice of the form,
  and an invalid filter is simply left out, as a search box should;
- ``filter_query`` builds the ninja query schema of the API endpoint, so that every filter is
  an optional, typed, documented query parameter of the OpenAPI document (text → string,
  record → bounded id, choice → enum, day → bounded date, yes/no → boolean);
- ``api_filter`` applies the same FilterSet to the endpoint's queryset. A wrong type or an
  id out of bounds has already been refused by the schema (422 on ``["query", name]``); what
  only the FilterSet can refuse is raised as the same 422, through the one error shape. A
  record id is not checked against the caller's scope there: the queryset is scoped, so an
  id of another hospital lists nothing, exactly like an id that does not exist.

``core.api.page`` stays the one pagination helper of every API list. Domain-free: records
are named by the filters' querysets, which the apps give.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import translation
from django_filters import fields as filter_fields
from ninja import Field, Schema

from .api import Day, Id, Input
from .bounds import MAX_ID
from .forms import BootstrapFormMixin, DateInput, _ids_or_invalid

QueryT = TypeVar("QueryT", bound=type[Input])


class FilterForm(BootstrapFormMixin, forms.Form):
    """The form of every FilterSet: Bootstrap classes, dates between 2000 and 2100."""


# --- filters: a django-filter filter plus how the API names and types it ------------------
class ApiParam(django_filters.Filter):
    """What the API makes of a filter, next to the filter itself.

    ``api_name``: the query parameter (default: the filter's name, ``<name>_id`` for a
    record); ``api_type``: its type when the default mapping does not fit (e.g. a month);
    ``api_default``: the value the API assumes when the parameter is absent (the HTML form
    has its own ``initial``); ``api_description``: the parameter's text in the OpenAPI
    document (default: the filter's label in English).
    """

    api_default_type: ClassVar[Any] = str

    def __init__(
        self,
        *args: Any,
        api_name: str | None = None,
        api_type: Any = None,
        api_default: Any = None,
        api_description: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.api_name = api_name
        self.api_type = api_type
        self.api_default = api_default
        self.api_description = api_description
        super().__init__(*args, **kwargs)


class TextFilter(ApiParam, django_filters.CharFilter):
    """Free text: a search box."""


class ChoiceFilter(ApiParam, django_filters.ChoiceFilter):
    """One of fixed choices; an enum in the API (the empty choice is not a value)."""


class BooleanFilter(ApiParam, django_filters.BooleanFilter):
    """Yes, no, or either."""

    api_default_type = bool


class DayFilter(ApiParam, django_filters.DateFilter):
    """A calendar day between 2000 and 2100."""

    api_default_type = Day

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateInput)
        super().__init__(*args, **kwargs)


class RecordChoiceField(filter_fields.ModelChoiceField):
    """django-filter's model choice with the project's bound: an id no database holds is an
    invalid choice, not an overflow in the query."""

    def to_python(self, value: Any) -> Any:
        _ids_or_invalid(self, [value])
        return super().to_python(value)


class RecordFilter(ApiParam, django_filters.ModelChoiceFilter):
    """One record among those the viewer may see: ``queryset`` is a callable of the request
    (``in_scope(Hospital)``) so the page offers only the viewer's records. ``field_class``
    changes how the options read (e.g. a department by its name only). A ``method`` gets
    the record on the page and its id in the API: filter with ``field=value``, which takes
    both."""

    field_class: type[forms.Field] = RecordChoiceField
    api_default_type = Id

    def __init__(self, *args: Any, field_class: type[forms.Field] | None = None, **kwargs: Any):
        if field_class is not None:
            self.field_class = field_class
        super().__init__(*args, **kwargs)


def in_scope(model: type[Model]) -> Callable[[HttpRequest], QuerySet]:
    """The choices of a ``RecordFilter``: the records of ``model`` the viewer may see
    (``Model.objects.for_user``, each app's scoping)."""

    def records(request: HttpRequest) -> QuerySet:
        return model._default_manager.for_user(request.user)  # type: ignore[attr-defined]

    return records


# --- the FilterSet ------------------------------------------------------------------------
class ListFilterSet(django_filters.FilterSet):
    """A list's filters. Bind it with the request (choices are scoped to its user):
    ``DeviceFilterSet(request.GET, queryset, request=request)``; ``for_api=True`` is
    ``api_filter``'s business.

    ``field_order`` orders the form's fields and the API's parameters; ``shape_form`` adjusts
    the page's form (option groups, fields a role does not use) without changing what a
    filter means.
    """

    field_order: ClassVar[list[str] | None] = None

    class Meta:
        form = FilterForm

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet | None = None,
        *,
        request: HttpRequest,
        for_api: bool = False,
        prefix: str | None = None,
    ) -> None:
        self.for_api = for_api
        super().__init__(data, queryset, request=request, prefix=prefix)

    @property
    def user(self) -> Any:
        return self.request.user

    def get_form_class(self) -> type[forms.Form]:
        fields: dict[str, forms.Field] = {}
        for name, filter_ in self.filters.items():
            if self.for_api and isinstance(filter_, django_filters.ModelChoiceFilter):
                # The scope is the queryset's business in the API: an id of another hospital
                # lists nothing rather than being refused (nor revealed as existing).
                fields[name] = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
            else:
                fields[name] = filter_.field
        attrs: dict[str, Any] = dict(fields)
        if self.field_order:
            attrs["field_order"] = self.field_order
        return type(f"{type(self).__name__}Form", (self._meta.form,), attrs)

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            if not self.for_api:
                self.shape_form(form)
        return self._form

    def shape_form(self, form: forms.Form) -> None:
        """Adjust the page's form for ``self.user``; the default changes nothing."""

    @classmethod
    def ordered_filters(cls) -> list[tuple[str, django_filters.Filter]]:
        filters = list(cls.base_filters.items())
        if not cls.field_order:
            return filters
        rank = {name: index for index, name in enumerate(cls.field_order)}
        return sorted(filters, key=lambda item: rank.get(item[0], len(rank)))


# --- the API: the query schema and applying it ----------------------------------------------
def api_name_of(name: str, filter_: django_filters.Filter) -> str:
    explicit = getattr(filter_, "api_name", None)
    if explicit:
        return explicit
    if isinstance(filter_, django_filters.ModelChoiceFilter):
        return f"{name}_id"
    return name


def _choice_values(filter_: django_filters.Filter) -> tuple[str, ...]:
    choices = filter_.extra.get("choices", ())
    if callable(choices):
        choices = choices()
    values: list[str] = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # an option group
            values.extend(str(v) for v, _label in label)
        elif value not in ("", None):
            values.append(str(value))
    return tuple(values)


def _api_type(filter_: django_filters.Filter) -> Any:
    explicit = getattr(filter_, "api_type", None)
    if explicit is not None:
        return explicit
    if isinstance(filter_, django_filters.ChoiceFilter) and not isinstance(
        filter_, django_filters.ModelChoiceFilter
    ):
        return Literal[_choice_values(filter_)]
    if isinstance(filter_, ApiParam):
        if isinstance(filter_, TextFilter) and filter_.extra.get("max_length"):
            return Annotated[str, Field(max_length=filter_.extra["max_length"])]
        return filter_.api_default_type
    if isinstance(filter_, django_filters.ModelChoiceFilter):
        return Id
    if isinstance(filter_, django_filters.BooleanFilter):
        return bool
    if isinstance(filter_, django_filters.DateFilter):
        return Day
    if isinstance(filter_, django_filters.CharFilter):
        return str
    raise TypeError(
        f"{type(filter_).__name__} has no API type: give it one with api_type= "
        "(a ListFilterSet's filters are core.filtering's, or declare api_type)"
    )


def _description(filter_: django_filters.Filter) -> str | None:
    explicit = getattr(filter_, "api_description", None)
    if explicit:
        return explicit
    label = filter_.label
    if label is None:
        return None
    # The OpenAPI document is written in English, whatever the server's default language.
    with translation.override("en"):
        return str(label)


def filter_query(filterset_class: type[ListFilterSet]) -> Callable[[QueryT], QueryT]:
    """Decorate an empty ``Input`` class to make it the query schema of ``filterset_class``::

        @filter_query(DeviceFilterSet)
        class DeviceQuery(Input):
            "The filters of GET /devices."

        def device_list(request, filters: Query[DeviceQuery], paging: Query[PageIn]): ...

    Every filter becomes an optional query parameter, in ``field_order``.
    """

    def build(declared: QueryT) -> QueryT:
        annotations: dict[str, Any] = {}
        namespace: dict[str, Any] = {"__module__": declared.__module__, "__doc__": declared.__doc__}
        names: dict[str, str] = {}  # attribute → filter name
        for name, filter_ in filterset_class.ordered_filters():
            api_name = api_name_of(name, filter_)
            attribute = api_name
            extra: dict[str, Any] = {}
            if not api_name.isidentifier() or keyword.iskeyword(api_name):
                attribute = f"{api_name}_"
                extra["alias"] = api_name
            default = getattr(filter_, "api_default", None)
            annotations[attribute] = _api_type(filter_) | None
            namespace[attribute] = Field(default, description=_description(filter_), **extra)
            names[attribute] = name
        namespace["__annotations__"] = annotations
        schema = type(declared.__name__, (declared,), namespace)
        schema.__filterset__ = filterset_class  # type: ignore[attr-defined]
        schema.__filter_names__ = names  # type: ignore[attr-defined]
        return schema  # type: ignore[return-value]

    return build


def _form_value(value: Any) -> Any:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_form_value(v) for v in value]
    return str(value)


def api_filter(
    params: Schema, queryset: QuerySet, *, request: HttpRequest, **options: Any
) -> QuerySet:
    """``queryset`` narrowed by the query ``params`` (a ``filter_query`` schema) through its
    FilterSet (given ``options``, e.g. the instant a FilterSet filters at); what the
    FilterSet refuses is a 422 on its query parameter."""
    schema = type(params)
    filterset_class: type[ListFilterSet] = schema.__filterset__  # type: ignore[attr-defined]
    names: dict[str, str] = schema.__filter_names__  # type: ignore[attr-defined]
    data = {}
    for attribute, name in names.items():
        value = getattr(params, attribute)
        if value is not None:
            data[name] = _form_value(value)
    filterset = filterset_class(data, queryset, request=request, for_api=True, **options)
    if not filterset.is_valid():
        # Located by the existing machinery: ["query", <parameter>] (core.api).
        filters = filterset.filters
        raise ValidationError(
            {
                api_name_of(name, filters[name]): errors
                for name, errors in filterset.form.errors.as_data().items()
            }
        )
    return filterset.qs
