"""Single sign-on through Streamlit's ``st.login``: whether it is configured, who it signs in.

Off unless Streamlit's ``[auth]`` secrets name a ``redirect_uri``, a ``cookie_secret`` and at
least one provider (``[auth.NAME]`` with ``client_id``, ``client_secret`` and
``server_metadata_url``; or those three in ``[auth]`` itself, the default provider). Each
provider gets a "Sign in with NAME" button on the Sign in page. Streamlit runs the OpenID
Connect exchange (``/auth/login``, ``/oauth2callback``, ``/auth/logout``) and keeps the identity
in its own signed cookie; which editor that identity is, is ``shipments.sso``'s to say, on every
page run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit.errors import StreamlitSecretNotFoundError

from shipments.db import session_scope
from shipments.sso import Match, editor_for_identity
from shipments.ui import data

DEFAULT = "default"
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class Provider:
    """One configured identity provider: its key in ``[auth]`` and the name its button shows."""

    key: str
    label: str


def _auth_section() -> Mapping[str, Any]:
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        section = st.secrets.get("auth")
    except (OSError, ValueError, StreamlitSecretNotFoundError):
        return {}
    return section if isinstance(section, Mapping) else {}


def providers() -> list[Provider]:
    """Return the identity providers configured in ``[auth]``; none when single sign-on is off."""
    section = _auth_section()
    if not section.get("redirect_uri") or not section.get("cookie_secret"):
        return []
    found = [
        Provider(str(key), str(key).replace("-", " ").title())
        for key, value in section.items()
        if isinstance(value, Mapping) and all(value.get(k) for k in PROVIDER_KEYS)
    ]
    if all(section.get(k) for k in PROVIDER_KEYS) and DEFAULT not in {p.key for p in found}:
        found.insert(0, Provider(DEFAULT, "single sign-on"))
    return found


def enabled() -> bool:
    """Return True when single sign-on is configured."""
    return bool(providers())


def identity() -> dict[str, object] | None:
    """Return the claims of the provider's sign-in this browser holds, or None.

    None too when single sign-on is off, whatever identity cookie the browser still sends.
    """
    if not enabled() or not st.user.get("is_logged_in"):
        return None
    return dict(st.user.to_dict())


def provider_label(claims: Mapping[str, object]) -> str:
    """Return the name of the provider an identity came from, as its button names it."""
    key = claims.get("provider")
    for provider in providers():
        if provider.key == key:
            return provider.label
    return "single sign-on"


def match() -> Match | None:
    """Return which editor this browser's single sign-on is, or why none; None without one."""
    claims = identity()
    if claims is None:
        return None
    try:
        with session_scope(data.engine(data.configured_url())) as db:
            return editor_for_identity(session=db, claims=claims)
    except (SQLAlchemyError, ImportError, OSError):
        return None


def refusal(found: Match, label: str) -> str:
    """Say why an identity from the provider ``label`` is no editor."""
    address = found.email or "no e-mail address"
    viewer = "You can read every page as a viewer; you cannot change the ledger."
    if found.outcome == "no_email":
        return f"{label} gave no e-mail address, so no editor account matches. {viewer}"
    if found.outcome == "unverified":
        return f"{label} says {address} is not verified. {viewer}"
    if found.outcome == "expired":
        return (
            f"Your sign-in with {label} as {address} is older than an editor's session may "
            "last: sign out and sign in again."
        )
    if found.outcome == "disabled":
        return f"{address} belongs to a disabled editor account. {viewer}"
    return f"{address} is not the e-mail address of any editor account. {viewer}"


def remedy(found: Match) -> str | None:
    """Return the command that would make an identity's address an editor's, where one would."""
    if found.outcome != "unknown" or found.email is None:
        return None
    return f"python -m shipments editors add NAME --email {found.email}"


def login(provider: Provider) -> None:
    """Send the browser to ``provider`` to sign in; it comes back to the home page."""
    st.login(provider.key)


def logout() -> None:
    """Forget this browser's single sign-on (Streamlit's cookie) and end it at the provider."""
    st.logout()
