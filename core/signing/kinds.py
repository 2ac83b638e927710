"""What a kind of signed document declares (``SignedDocument``), and who signs
(``SignatureRole``): the one vocabulary of every kind. The workflow that acts on a kind is
``core.signing.workflow``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from core.errors import Conflict

D = TypeVar("D", bound=models.Model)


class SignatureRole(models.TextChoices):
    """Who signs, on every kind of document: the vendor's engineer, or the hospital (its
    representative, an attendee, a recipient). The stored and the API value."""

    ENGINEER = "engineer", gettext_lazy("Vendor engineer")
    HOSPITAL = "hospital", gettext_lazy("Hospital representative")


_KINDS: dict[str, SignedDocument[Any]] = {}


def kind_named(key: str) -> SignedDocument[Any]:
    """The kind of document with this ``key``; its module is imported by its app's ``ready``."""
    try:
        return _KINDS[key]
    except KeyError:
        raise LookupError(f"no signed-document kind {key!r} is loaded") from None


class SignedDocument(Generic[D]):
    """A kind of document that people sign. Subclass it once per kind and keep one instance
    (``REPAIR_RECORD = RepairRecordDocument()``); override what differs from the defaults.

    Signature rows (``signatures``) are for kinds signed by several people, each a row of a
    ``core.models.DrawnSignature`` model; a kind whose one signature sits on the document row
    itself (a visit, an attendance, a receipt) uses the content, the checks and the image
    storage only.
    """

    model: type[D]
    # A stable name of the kind, stored in outbox rows (archive its PDF after the commit):
    # never rename it. A subclass made for a test inherits it without taking the kind's place.
    key: ClassVar[str] = ""
    # Who may sign, and whose signatures (all of them) freeze the document: every role unless
    # ``freezing_roles`` names fewer. ``ordered``: the roles sign in the order given.
    roles: ClassVar[tuple[str, ...]] = (SignatureRole.HOSPITAL,)
    freezing_roles: ClassVar[tuple[str, ...] | None] = None
    ordered: ClassVar[bool] = False
    # This kind's own words for a role, where they differ from the vocabulary's.
    role_labels: ClassVar[Mapping[str, Promise | str]] = {}
    # The fields the freeze fixes (None: the whole row); the admin shows them read-only.
    frozen_fields: ClassVar[tuple[str, ...] | None] = None
    # The file field of the archived PDF ("" when the kind archives none).
    pdf_field: ClassVar[str] = ""
    # Amendments: the key under which an amendment's content names the document's hash.
    amendment_key: ClassVar[str] = "document"

    frozen_message: ClassVar[Promise | str] = gettext_lazy(
        "This document is signed: it can no longer change."
    )
    already_signed_message: ClassVar[Promise | str] = gettext_lazy("Already signed in this role.")
    incomplete_message: ClassVar[Promise | str] = gettext_lazy(
        "Complete the document before signing: %(fields)s."
    )
    role_message: ClassVar[Promise | str] = gettext_lazy(
        "Sign as the vendor's engineer or as the hospital."
    )
    not_frozen_message: ClassVar[Promise | str] = gettext_lazy(
        "The document is not signed yet: correct it directly instead."
    )
    amend_reason_message: ClassVar[Promise | str] = gettext_lazy(
        "Say why the document is corrected."
    )

    def __init__(self) -> None:
        if "key" in type(self).__dict__:
            _KINDS.setdefault(self.key, self)

    # --- content and state ------------------------------------------------------------
    def content(self, document: D) -> dict[str, Any]:
        """The signed content, JSON-ready (``core.signatures.canonical_json``): what every
        hash of this kind is taken over. Never change what an existing kind puts here: the
        stored hashes must keep matching."""
        raise NotImplementedError

    def missing(self, document: D) -> list[str]:
        """What must still be written before anyone signs, in people's words (empty: ready)."""
        return []

    def is_frozen(self, document: D) -> bool:
        return getattr(document, "frozen_at", None) is not None

    def frozen_error(self, document: D) -> Exception:
        """What a change of a frozen document raises (a 409 unless the kind says otherwise)."""
        return Conflict("frozen", str(self.frozen_message))

    def load(self, pk: Any) -> D:
        """The document again, by key (after commit, to archive its PDF)."""
        return self.model._default_manager.get(pk=pk)

    def role_label(self, role: str) -> str:
        label = self.role_labels.get(role)
        return str(label if label is not None else SignatureRole(role).label)

    # --- signature rows -------------------------------------------------------------------
    def signatures(self, document: D) -> models.QuerySet[Any]:
        """The signatures of the document itself (an amendment's are not)."""
        raise NotImplementedError(f"{type(self).__name__} has no signature rows")

    def vendor_signer_names(self, document: D) -> list[str]:
        """Names the hospital's signer may not give (the vendor's people who signed)."""
        rows = self.signatures(document).filter(role=SignatureRole.ENGINEER)
        return list(rows.values_list("signer_name", flat=True))

    def on_freeze(self, document: D, *, now: datetime, actor: Any) -> Iterable[str]:
        """What the kind does when the last signature it needs is given, before anything is
        stored (raise to refuse the signature); returns more fields of the row to save."""
        return ()

    # --- amendments ---------------------------------------------------------------------
    def amendments(self, document: D) -> models.QuerySet[Any]:
        raise NotImplementedError(f"{type(self).__name__} takes no amendments")

    def corrected_content(
        self, document: D, current: dict[str, Any], changes: Mapping[str, Any], *, now: datetime
    ) -> dict[str, Any]:
        """The content ``current`` with ``changes`` applied, checked by the kind's own rules
        (a ``ValidationError`` names a field)."""
        raise NotImplementedError(f"{type(self).__name__} takes no amendments")

    def new_amendment(
        self, document: D, *, author: Any, reason: str, changes: dict[str, Any]
    ) -> models.Model:
        raise NotImplementedError(f"{type(self).__name__} takes no amendments")

    # --- the archived PDF ---------------------------------------------------------------
    def pdf_bytes(self, document: D) -> bytes:
        raise NotImplementedError(f"{type(self).__name__} archives no PDF")

    def pdf_name(self, document: D) -> str:
        raise NotImplementedError(f"{type(self).__name__} archives no PDF")
