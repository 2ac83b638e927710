"""Who reads the key figures: the vendor's office (administrator, service manager) for
every hospital, and a hospital's own users for theirs (the selectors scope by user).
Engineers and dispatchers work from their lists; the figures about them are the office's."""

import rules

from accounts.rules import is_vendor_office


@rules.predicate
def is_hospital_user(user) -> bool:
    return bool(
        user.is_authenticated
        and not user.is_vendor_staff
        and getattr(user, "hospital_membership", None) is not None
    )


rules.add_perm("kpis.view_kpis", is_vendor_office | is_hospital_user)
