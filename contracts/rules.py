"""Who may change contracts and agreements: the vendor's office."""

import rules

from accounts.rules import is_vendor_office

rules.add_perm("contracts.add_contract", is_vendor_office)
rules.add_perm("contracts.change_contract", is_vendor_office)
rules.add_perm("contracts.add_maintenanceagreement", is_vendor_office)
rules.add_perm("contracts.change_maintenanceagreement", is_vendor_office)
