"""One way to sign (GUIDE 15): every document that people sign goes through this package.

- ``kinds``: a kind of document declares itself (``SignedDocument``: roles, order, the
  canonical content, what must be written first, the PDF); ``SignatureRole`` is the one
  vocabulary of who signs.
- ``workflow``: the hash, the withdrawal of signatures on a content change, the refusal of
  changes once frozen, the freeze after the last signature, amendments and the archived PDF,
  the same for every kind.
- ``forms``: the signature form and field every sign page posts.
- ``pages``: the sign page's readiness (nothing is offered for signing while the document is
  incomplete), its submit, the signatures as shown, the archived PDF's response.
- ``admin``: the admin's side of "signed means frozen".

The image and hash primitives are ``core.signatures``. Domain-free: no app is imported.
"""

from core.signing.kinds import SignatureRole, SignedDocument

__all__ = ["SignatureRole", "SignedDocument"]
