"""Who may configure the channels: the vendor's administrators (webhooks, the SMS gateway,
the group robots); everyone sets their own notification preferences."""

import rules

from accounts.rules import is_vendor_admin, is_vendor_staff

rules.add_perm("notify.manage_webhooks", is_vendor_admin)
# Who was told of a record (the request page's fragment): the vendor's staff.
rules.add_perm("notify.view_delivery", is_vendor_staff)
