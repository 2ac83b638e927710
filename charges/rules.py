"""Who may do what with charge statements: the hospital (its equipment administrator, or a
user of the request's department) accepts or disputes; the vendor's office (admin, service
manager) edits a draft, reviews, sends, answers a dispute, corrects by a new version and
issues credit notes (issue 12 §4). Seeing a statement is seeing its request, and for a
hospital's users only once it is sent (``ChargeStatement.objects.for_user``)."""

import rules

from accounts.rules import is_vendor_office
from service.rules import is_request_customer


@rules.predicate
def is_statement_customer(user, statement) -> bool:
    return statement is not None and is_request_customer(user, statement.request)


rules.add_perm("charges.accept_chargestatement", is_statement_customer)
rules.add_perm("charges.dispute_chargestatement", is_statement_customer)
rules.add_perm("charges.change_chargestatement", is_vendor_office)
rules.add_perm("charges.review_chargestatement", is_vendor_office)
rules.add_perm("charges.send_chargestatement", is_vendor_office)
rules.add_perm("charges.answer_chargestatement", is_vendor_office)
rules.add_perm("charges.add_creditnote", is_vendor_office)
