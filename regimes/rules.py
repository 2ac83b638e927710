"""Who may write a hospital's management regime (R-2.3, R-7.5).

The vendor's technical staff (admin, service manager, engineer) write documents and
versions; the hospital's equipment administrator records receipts for their own hospital
as well. Everyone who sees the hospital reads (``for_user``)."""

import rules

from accounts.rules import is_vendor_technical
from customers.rules import is_equipment_admin_of

rules.add_perm("regimes.add_regimedocument", is_vendor_technical)
rules.add_perm("regimes.add_regimeversion", is_vendor_technical)
# ``obj``: the document (or its hospital) the receipt is recorded on.
rules.add_perm("regimes.add_regimereceipt", is_vendor_technical | is_equipment_admin_of)
