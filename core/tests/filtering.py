"""What the tests of each list check about its one filter definition (``core.filtering``):
every filter of its FilterSet is a query parameter of the API endpoint, in the OpenAPI
document, and a field of the page's form."""

from __future__ import annotations

from core.filtering import ListFilterSet, api_name_of

# Query parameters of every list that are not filters: the page, and the file instead of it
# (``format=csv|xlsx``, issue 14 §5).
PAGING = {"limit", "offset", "format"}


def query_parameters(client, path: str) -> set[str]:
    """The query parameters the OpenAPI document gives ``GET /api/v1<path>``."""
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][f"/api/v1{path}"]["get"]
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def api_names(filterset_class: type[ListFilterSet]) -> set[str]:
    return {api_name_of(name, f) for name, f in filterset_class.base_filters.items()}


def assert_one_definition(
    client,
    filterset_class: type[ListFilterSet],
    *,
    api_path: str,
    page_response=None,
    not_on_page: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """``filterset_class`` is the list's filters in the API (and nothing else is), and, when
    ``page_response`` is given, in the page's form (but for ``not_on_page``, fields a role
    does not use)."""
    assert query_parameters(client, api_path) - PAGING == api_names(filterset_class)
    if page_response is not None:
        assert page_response.status_code == 200
        form = page_response.context["form"]
        assert set(form.fields) == set(filterset_class.base_filters) - not_on_page
