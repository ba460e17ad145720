"""Single sign-on: which editor an OpenID Connect identity is, if any (no streamlit).

The allow-list is the editors' own e-mail addresses (``editors add NAME --email ADDRESS``): an
identity is an editor when its ``email`` claim is the stored address of an active editor account,
compared without regard to case. There is no second list to keep in step with the accounts, and
the account is looked up on every page run, so disabling an editor takes effect at once. An
address the provider marks unverified (``email_verified`` false) opens nothing: anyone may claim
an address they do not own at some providers; one that says nothing either way is taken as the
provider's word.

The provider's sign-in counts for as long as a password session may last at most
(``LEDGER_SESSION_LIFETIME_HOURS``), from the moment its ID token was issued (``iat``); after that
the editor is a viewer again until they sign in anew. Streamlit keeps the identity in a signed
cookie of its own that the server cannot revoke, so that bound and the account's state are what
end a single sign-on in a browser that did not sign out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from shipments.models import Editor
from shipments.rules import utcnow
from shipments.sessions import session_limits

DEFAULT_PROVIDER = "default"
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
Outcome = Literal["editor", "no_email", "unverified", "expired", "unknown", "disabled"]


@dataclass(frozen=True)
class Match:
    """What an identity is to the ledger: an editor (``editor`` names the account), or why not."""

    outcome: Outcome
    email: str | None = None
    editor: str | None = None

    @property
    def ok(self) -> bool:
        """Return True when the identity is an active editor, who may write."""
        return self.outcome == "editor"


@dataclass(frozen=True)
class Provider:
    """One configured identity provider: its key in ``[auth]`` and the name its button shows."""

    key: str
    label: str


def providers(auth: Mapping[str, object]) -> list[Provider]:
    """Return the identity providers Streamlit's ``[auth]`` secrets configure; none when they
    lack a ``redirect_uri``, a ``cookie_secret`` or any provider (single sign-on is then off).

    A provider is an ``[auth.NAME]`` table holding ``PROVIDER_KEYS``, or those keys in ``[auth]``
    itself (Streamlit's default provider).
    """
    if not auth.get("redirect_uri") or not auth.get("cookie_secret"):
        return []
    found = [
        Provider(str(key), str(key).replace("-", " ").title())
        for key, value in auth.items()
        if isinstance(value, Mapping) and all(value.get(k) for k in PROVIDER_KEYS)
    ]
    if all(auth.get(k) for k in PROVIDER_KEYS) and DEFAULT_PROVIDER not in {p.key for p in found}:
        found.insert(0, Provider(DEFAULT_PROVIDER, "single sign-on"))
    return found


def clean_email(value: object) -> str | None:
    """Return an ``email`` claim as the account would store it (trimmed, lower case), or None."""
    if not isinstance(value, str):
        return None
    address = value.strip().lower()
    return address if "@" in address else None


def email_verified(claims: Mapping[str, object]) -> bool:
    """Return False when the provider says the address is not verified; True otherwise."""
    said = claims.get("email_verified")
    if said is None:
        return True
    if isinstance(said, str):
        return said.strip().lower() == "true"
    return said is True


def issued_at(claims: Mapping[str, object]) -> datetime | None:
    """Return when the identity's ID token was issued (its ``iat``, seconds since 1970), or None."""
    said = claims.get("iat")
    if isinstance(said, bool) or not isinstance(said, int | float):
        return None
    try:
        return datetime.fromtimestamp(said, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def editor_for_identity(
    *,
    session: Session,
    claims: Mapping[str, object],
    now: datetime | None = None,
    lifetime: timedelta | None = None,
) -> Match:
    """Return which active editor the identity's verified e-mail address belongs to, or why none.

    ``lifetime`` (by default the password sessions' absolute lifetime) bounds how long after its
    ID token was issued the identity still counts.
    """
    address = clean_email(claims.get("email"))
    if address is None:
        return Match("no_email")
    if not email_verified(claims):
        return Match("unverified", email=address)
    issued = issued_at(claims)
    bound = session_limits().lifetime if lifetime is None else lifetime
    if issued is None or (now or utcnow()) - issued > bound:
        return Match("expired", email=address)
    account = session.exec(select(Editor).where(func.lower(col(Editor.email)) == address)).first()
    if account is None:
        return Match("unknown", email=address)
    if not account.active:
        return Match("disabled", email=address, editor=account.name)
    return Match("editor", email=address, editor=account.name)
