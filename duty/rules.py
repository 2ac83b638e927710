"""Who may do what on the duty roster (R-6.2): the office (administrator, service manager)
plans shifts, generates from rotations and approves swaps; engineers offer and accept
swaps of their own shifts (checked again by the services). Vendor staff read the roster;
a hospital's users do not."""

import rules

from accounts.rules import is_engineer, is_vendor_office, is_vendor_staff

rules.add_perm("duty.view_shift", is_vendor_staff)
rules.add_perm("duty.change_shift", is_vendor_office)
rules.add_perm("duty.add_shift", is_vendor_office)
rules.add_perm("duty.generate_rotation", is_vendor_office)
rules.add_perm("duty.change_rotation", is_vendor_office)
rules.add_perm("duty.propose_swap", is_engineer)
rules.add_perm("duty.approve_swap", is_vendor_office)
