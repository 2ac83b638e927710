"""API: who am I (useful to check a token)."""

from ninja import Router, Schema

from core.api import READ_ERRORS

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    vendor_role: str
    hospital_id: int | None


@router.get("/me", response={200: MeOut, **READ_ERRORS})
def me(request):
    user = request.user
    membership = getattr(user, "hospital_membership", None)
    return {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "vendor_role": user.effective_vendor_role,
        "hospital_id": membership.hospital_id if membership else None,
    }
