"""Who may regenerate a monthly report: the vendor's office (admin, service manager).
Everyone who sees the hospital reads its reports (``MonthlyReport.objects.for_user``)."""

import rules

from accounts.rules import is_vendor_office

rules.add_perm("reports.change_monthlyreport", is_vendor_office)
