"""Who may make and revoke calendar feeds (issue 4 §5)."""

import rules

from accounts.rules import is_engineer, is_vendor_office
from customers.models import HospitalRole


@rules.predicate
def is_equipment_admin(user) -> bool:
    """An equipment administrator of some hospital (his own hospital's feed)."""
    membership = getattr(user, "hospital_membership", None) if user.is_authenticated else None
    return bool(membership and membership.role == HospitalRole.EQUIPMENT_ADMIN)


@rules.predicate
def is_feed_owner(user, feed) -> bool:
    return feed is not None and user.is_authenticated and feed.owner_id == user.pk


# An engineer: his own feed; managers and admins: any engineer's or hospital's; a
# hospital's equipment administrator: his hospital's. Which targets exactly is
# ``agenda.selectors.feed_targets``.
rules.add_perm("agenda.add_calendarfeed", is_engineer | is_vendor_office | is_equipment_admin)
rules.add_perm("agenda.revoke_calendarfeed", is_feed_owner)
