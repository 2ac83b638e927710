"""What every API router shares: the one error shape, its status codes, authentication."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import AfterValidator, AwareDatetime, ConfigDict

from .bounds import MAX_ID, MAX_OFFSET, MAX_TEXT, MONTH_PATTERN, day_error
from .errors import Conflict, TooManyAttempts


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(Schema):
    """Every error answer of the API has this shape."""

    detail: str
    errors: list[ErrorItem] = []


# Status codes every authenticated endpoint can answer besides its success code; 429 is a
# client address locked out after too many wrong bearer tokens.
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


class SessionAuth(APIKeyCookie):
    """The browser's login session, with Django's CSRF check on a logged-in session.

    ninja's ``django_auth`` checks CSRF before it looks at the session, so a write without
    any credentials got a CSRF 403 instead of 401. Only a logged-in session can be ridden
    by another site, so only then is the token required; a request without one is simply
    not authenticated (401, or the next authenticator's turn).
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)  # an operation's csrf_exempt
        if not exempt and check_csrf(request) is not None:
            raise HttpError(
                403,
                _("CSRF check failed: a session needs the X-CSRFToken header on changes."),
            )
        return request.COOKIES.get(self.param_name, "")

    def authenticate(self, request: HttpRequest, key: str | None):
        return request.user if key is not None else None


# Services name a model's fields; the API sends relations as ``<name>_id`` / ``<name>_ids``.
API_FIELD_NAMES = {
    "hospital": "hospital_id",
    "region": "region_id",
    "department": "department_id",
    "product_model": "product_model_id",
    "responsible_contact": "responsible_contact_id",
    "service_manager": "service_manager_id",
    "device": "device_id",
    "component": "component_id",
    "devices": "device_ids",
    "dedicated_engineers": "dedicated_engineer_ids",
}


def _loc(field: str, query: set[str]) -> list[str | int]:
    if field == NON_FIELD_ERRORS:
        return ["body"]
    name = API_FIELD_NAMES.get(field, field)
    # A reference resolved from the query string (``?component_id=``) is located there.
    return ["query" if name in query else "body", name]


def body_path(key: str, names: Mapping[str, str] = API_FIELD_NAMES) -> list[str | int]:
    """Where a service's dotted field key lies in the request body: ``"devices.0.state"`` is
    ``["body", "devices", 0, "state"]``; ``names`` are the API's names of model fields."""
    if key == NON_FIELD_ERRORS:
        return ["body"]
    return [
        "body",
        *(int(part) if part.isdigit() else names.get(part, part) for part in key.split(".")),
    ]


class LocatedValidationError(ValidationError):
    """A ``ValidationError`` whose fields the endpoint places itself, where a field name alone
    cannot say it (an item of a list, a key of a mapping): ``loc_of(field)`` is the location
    of each field (default ``body_path``). The one handler answers it like any other: 422 in
    the one error shape."""

    def __init__(
        self,
        errors: ValidationError | Mapping[str, Any],
        loc_of: Callable[[str], list[str | int]] = body_path,
    ) -> None:
        super().__init__(errors)  # type: ignore[arg-type]
        self.loc_of = loc_of


def validation_error_items(
    exc: ValidationError, request: HttpRequest | None = None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        query = set(request.GET) if request is not None else set()
        loc_of = getattr(exc, "loc_of", None)
        for field, errors in exc.error_dict.items():
            for error in errors:
                items.append(
                    {
                        "loc": loc_of(field) if loc_of else _loc(field, query),
                        "msg": " ".join(error.messages),
                        "type": error.code or "invalid",
                    }
                )
    else:
        for error in exc.error_list:
            items.append(
                {"loc": ["body"], "msg": " ".join(error.messages), "type": error.code or "invalid"}
            )
    return items


def _validation_message(error: dict[str, Any]) -> str:
    """pydantic's message for ``error`` in the reader's language (pydantic speaks English
    only); a type not listed keeps pydantic's words."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])  # our own validators' message, already translated
    messages = {
        "missing": lambda: _("This field is required."),
        "int_parsing": lambda: _("Give a whole number."),
        "int_type": lambda: _("Give a whole number."),
        "int_from_float": lambda: _("Give a whole number."),
        "float_parsing": lambda: _("Give a number."),
        "decimal_parsing": lambda: _("Give a number."),
        "bool_parsing": lambda: _("Give true or false."),
        "string_type": lambda: _("Give a text."),
        "list_type": lambda: _("Give a list."),
        "date_parsing": lambda: _("Give a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": lambda: _("Give a date as YYYY-MM-DD."),
        "datetime_parsing": lambda: _("Give a date and time in ISO 8601 with its time zone."),
        "datetime_from_date_parsing": lambda: _(
            "Give a date and time in ISO 8601 with its time zone."
        ),
        "timezone_aware": lambda: _("Give the time with its time zone."),
        "less_than_equal": lambda: _("Give at most %(limit)s.") % {"limit": ctx.get("le")},
        "less_than": lambda: _("Give less than %(limit)s.") % {"limit": ctx.get("lt")},
        "greater_than_equal": lambda: _("Give at least %(limit)s.") % {"limit": ctx.get("ge")},
        "greater_than": lambda: _("Give more than %(limit)s.") % {"limit": ctx.get("gt")},
        "string_too_long": lambda: (
            _("Use at most %(limit)s characters.") % {"limit": ctx.get("max_length")}
        ),
        "string_too_short": lambda: (
            _("Use at least %(limit)s characters.") % {"limit": ctx.get("min_length")}
        ),
        "string_pattern_mismatch": lambda: _("This value does not have the expected form."),
        "enum": lambda: _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
        "literal_error": lambda: (
            _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
        ),
        "too_long": lambda: _("Give at most %(limit)s items.") % {"limit": ctx.get("max_length")},
        "decimal_max_digits": lambda: _("The number has too many digits."),
        "decimal_max_places": lambda: _("The number has too many decimal places."),
        "decimal_whole_digits": lambda: _("The number has too many digits."),
        "json_invalid": lambda: _("The body is not valid JSON."),
    }
    make = messages.get(kind)
    return make() if make else str(error.get("msg", ""))


def ninja_error_items(exc: NinjaValidationError) -> list[dict[str, Any]]:
    items = []
    for error in exc.errors:
        loc = list(error.get("loc", []))
        # Body parameters are always named ``payload``; the client never sees that name.
        if len(loc) > 1 and loc[0] == "body" and loc[1] == "payload":
            loc = ["body", *loc[2:]]
        items.append(
            {"loc": loc, "msg": _validation_message(error), "type": str(error.get("type", ""))}
        )
    return items


def install_error_handlers(api) -> None:
    def respond(request, status: int, detail: str, errors=()):
        return api.create_response(
            request, {"detail": detail, "errors": list(errors)}, status=status
        )

    @api.exception_handler(NinjaValidationError)
    def _ninja_validation(request, exc):
        return respond(request, 422, _("The request is not valid."), ninja_error_items(exc))

    @api.exception_handler(ValidationError)
    def _django_validation(request, exc):
        return respond(
            request, 422, _("The request is not valid."), validation_error_items(exc, request)
        )

    @api.exception_handler(Conflict)
    def _conflict(request, exc):
        error = {"loc": ["body", "type"], "msg": exc.message, "type": exc.code}
        return respond(request, 409, exc.message, [error])

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return respond(request, 404, _("Not found."))

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        return respond(request, 403, str(exc) or _("You are not allowed to do this."))

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return respond(request, 401, _("Authentication required."))

    @api.exception_handler(TooManyAttempts)
    def _too_many_attempts(request, exc):
        minutes = max(1, -(-exc.retry_after // 60))
        response = respond(
            request,
            429,
            ngettext(
                "Too many wrong tokens from this address: try again in %(minutes)d minute.",
                "Too many wrong tokens from this address: try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        if exc.status_code == 400:
            # ninja's only 400 is a body it cannot parse: bad input like any other, so the
            # documented 422 with the body as its location.
            error = {"loc": ["body"], "msg": str(exc), "type": "json_invalid"}
            return respond(request, 422, _("The request is not valid."), [error])
        return respond(request, exc.status_code, str(exc))


def resolve(queryset, pk, field: str):
    """Fetch a referenced object inside the caller's scope, or fail on that field.

    An id outside the scope gets the same answer as one that does not exist: 422 on the
    field, never a hint that another hospital has such a record.
    """
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: _("There is no such record (id %(id)s).") % {"id": pk}})
    return obj


def resolve_many(queryset, pks, field: str) -> list:
    pks = list(dict.fromkeys(pks or []))
    found = {obj.pk: obj for obj in queryset.filter(pk__in=pks)}
    missing = [pk for pk in pks if pk not in found]
    if missing:
        raise ValidationError(
            {
                field: _("There are no such records (ids %(ids)s).")
                % {"ids": ", ".join(str(pk) for pk in missing)}
            }
        )
    return [found[pk] for pk in pks]


def _sane_day(value: date) -> date:
    if problem := day_error(value):
        raise ValueError(problem)
    return value


# Input types of every schema and path: an id a database can hold (10**20 is a 422 on the
# field, not an overflow in the query), a date or a moment between 2000 and 2100.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, AfterValidator(_sane_day)]
Moment = Annotated[AwareDatetime, AfterValidator(_sane_day)]
Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="YYYY-MM, 2000 to 2100")]


class Input(Schema):
    """What a client sends (bodies and query filters): no text longer than ``MAX_TEXT``
    unless its field says otherwise (a signature image, a file in base64), so nothing
    unbounded reaches a service or a column."""

    model_config = ConfigDict(str_max_length=MAX_TEXT)


# A signature_pad drawing as a data URL (core.signatures caps the PNG at 500 KB).
SIGNATURE_DATA_URL_MAX = 700_000


PAGE_DEFAULT = 50
PAGE_MAX = 500


class PageIn(Input):
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def page(
    queryset,
    paging: PageIn | None = None,
    *,
    limit: int | None = None,
    offset: int | None = None,
) -> dict[str, Any]:
    """The one pagination of every API list: ``{"count", "limit", "offset", "items"}`` (the
    ``page_of`` schema) of ``queryset``, at the endpoint's ``paging: Query[PageIn]``.
    ``limit``/``offset`` are for a caller without a ``PageIn``; the bounds are ``PageIn``'s.
    A list (rows of two models, built by the endpoint) pages the same way."""
    if paging is not None:
        limit, offset = paging.limit, paging.offset
    limit = max(1, min(limit if limit is not None else PAGE_DEFAULT, PAGE_MAX))
    offset = max(0, offset or 0)
    return {
        "count": len(queryset) if isinstance(queryset, list) else queryset.count(),
        "limit": limit,
        "offset": offset,
        "items": list(queryset[offset : offset + limit]),
    }


def page_of(item_schema: type[Schema]) -> type[Schema]:
    return type(
        f"{item_schema.__name__}Page",
        (Schema,),
        {
            "__annotations__": {
                "count": int,
                "limit": int,
                "offset": int,
                "items": list[item_schema],  # type: ignore[valid-type]
            }
        },
    )


# Every create endpoint honours the header (``accounts.middleware.IdempotencyMiddleware``):
# documented once here for every POST operation instead of on each.
IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    "description": (
        "Send the same key again (a retry, a resent form) and the write is done once: the "
        "first answer comes back with `Idempotent-Replayed: true`. Keys belong to the caller "
        "and are kept for 24 hours; a key reused with another request answers 409."
    ),
}


class MedserviceApi(NinjaAPI):
    """django-ninja with what every operation shares documented once."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            post = operations.get("post")
            if post is None:
                continue
            parameters = [
                p
                for p in post.get("parameters", [])
                if not (p.get("in") == "header" and p.get("name") == "Idempotency-Key")
            ]
            post["parameters"] = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
            responses = post["responses"]
            if 409 not in responses and "409" not in responses:
                responses[409] = {
                    "description": "Conflict",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}
                    },
                }
        return schema
