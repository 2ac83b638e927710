"""Who may change the installed base."""

import rules

from accounts.rules import is_vendor_technical
from customers.rules import is_equipment_admin_of

rules.add_perm("assets.add_productmodel", is_vendor_technical)
rules.add_perm("assets.change_productmodel", is_vendor_technical)
rules.add_perm("assets.add_device", is_vendor_technical)
rules.add_perm("assets.change_device", is_vendor_technical)
rules.add_perm("assets.add_maincomponent", is_vendor_technical)
rules.add_perm("assets.add_emergencyprocedure", is_vendor_technical)
# The department receives the procedure: its hospital's equipment administrator may record
# the receipt as well as the vendor's staff.
rules.add_perm("assets.change_emergencyprocedure", is_vendor_technical | is_equipment_admin_of)
# A device out of use after a failed safety check is declared fit again by the vendor's
# engineers and managers only, never by the hospital.
rules.add_perm("assets.clear_out_of_use", is_vendor_technical)
