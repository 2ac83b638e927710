"""Who may plan training, run the sign-in and hand out materials (R-2.1, R-2.2).

Reading follows the scope (``for_user``): vendor staff see every hospital's training, a
hospital's users their own hospital's. Writes:
- plans and sessions: the vendor's office (administrator, service manager);
- the sign-in page, the paper sheet: the vendor's technical staff, and the hospital's
  equipment administrator for their own staff; department users only read;
- materials, marking a session held, assessment scores: the vendor's technical staff.
"""

import rules

from accounts.rules import is_vendor_office, is_vendor_technical
from customers.rules import is_equipment_admin_of

rules.add_perm("training.add_trainingplan", is_vendor_office)
rules.add_perm("training.change_trainingplan", is_vendor_office)
rules.add_perm("training.add_trainingsession", is_vendor_office)
rules.add_perm("training.change_trainingsession", is_vendor_office)
rules.add_perm("training.cancel_trainingsession", is_vendor_office)
rules.add_perm("training.hold_trainingsession", is_vendor_technical)
rules.add_perm("training.add_trainingmaterial", is_vendor_technical)
rules.add_perm("training.add_attendance", is_vendor_technical | is_equipment_admin_of)
rules.add_perm("training.change_attendance", is_vendor_technical)
