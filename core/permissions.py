"""The one way a view or an API endpoint refuses an action the user's role does not allow."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def require_perm(request: HttpRequest, perm: str, obj=None) -> None:
    """403 unless ``request.user`` has ``perm`` (a ``rules`` permission) on ``obj``.

    Call it after the object was fetched through ``for_user``: an object outside the user's
    scope is already a 404, so a 403 never tells anyone that another hospital's record
    exists.
    """
    if not request.user.has_perm(perm, obj):
        raise PermissionDenied
