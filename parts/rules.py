"""Who may see and change parts and stock: vendor staff only (prices and stock are the
vendor's own business; hospital users are refused, see docs/decisions.md)."""

import rules

from accounts.rules import is_vendor_office, is_vendor_staff, is_vendor_technical

rules.add_perm("parts.view_sparepart", is_vendor_staff)
rules.add_perm("parts.add_sparepart", is_vendor_office)
rules.add_perm("parts.change_sparepart", is_vendor_office)
rules.add_perm("parts.view_stocklevel", is_vendor_staff)
rules.add_perm("parts.add_stocklocation", is_vendor_office)
# Engineers move stock themselves (fill the bag, issue to a repair, return, count).
rules.add_perm("parts.add_stockmovement", is_vendor_technical)
# Loaner units: everyone on the vendor side sees who has which loaner; engineers and
# the office install and take back; only the office registers a unit.
rules.add_perm("parts.view_loanerunit", is_vendor_staff)
rules.add_perm("parts.add_loanerunit", is_vendor_office)
rules.add_perm("parts.add_loan", is_vendor_technical)
# Engineers and the office send a unit to repair and put it back in service; retiring it for
# good is the office's call, like registering it.
rules.add_perm("parts.change_loanerunit", is_vendor_technical)
rules.add_perm("parts.retire_loanerunit", is_vendor_office)
