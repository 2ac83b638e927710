"""A small JSON client for the API tests of every app: bearer token, JSON bodies, and the
one error shape checked on every 422."""

from __future__ import annotations

from accounts.services import api_token_create


class Api:
    """The Django test client speaking JSON to /api/v1 with a bearer token of ``user``."""

    def __init__(self, client, user):
        _token, raw = api_token_create(user=user, name="test")
        self.client = client
        self.user = user
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, url, **params):
        return self.client.get(f"/api/v1{url}", params, headers=self.headers)

    def post(self, url, body):
        return self.client.post(
            f"/api/v1{url}", body, content_type="application/json", headers=self.headers
        )

    def patch(self, url, body):
        return self.client.patch(
            f"/api/v1{url}", body, content_type="application/json", headers=self.headers
        )


def locs(response) -> list[list]:
    """The field paths of a 422 answer, after checking the error shape."""
    assert response.status_code == 422, (response.status_code, response.content)
    body = response.json()
    assert set(body) == {"detail", "errors"}
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}
        assert error["msg"] and error["type"]
    return [e["loc"] for e in body["errors"]]
