"""Web pages about the user's own account: API tokens for integrations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .forms import ApiTokenForm
from .models import ApiToken


@never_cache  # the page that shows a new secret must not be kept by any cache
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """The user's own tokens; a new token's secret is shown in this response only."""
    form = ApiTokenForm(request.POST or None)
    new_token = new_secret = None
    if request.method == "POST" and form.is_valid():
        new_token, new_secret = services.api_token_create(
            user=request.user, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/token_list.html",
        {"form": form, "tokens": tokens, "new_token": new_token, "new_secret": new_secret},
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    services.api_token_revoke(token=token)
    messages.success(request, _("Token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:token_list")
