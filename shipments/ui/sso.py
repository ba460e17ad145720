"""Single sign-on through Streamlit's ``st.login``: whether it is configured, who it signs in.

Off unless Streamlit's ``[auth]`` secrets name a ``redirect_uri``, a ``cookie_secret`` and at
least one provider (``shipments.sso.providers`` says which). Each provider gets a "Sign in with
NAME" button on the Sign in page. Streamlit runs the OpenID
Connect exchange (``/auth/login``, ``/oauth2callback``, ``/auth/logout``) and keeps the identity
in its own signed cookie; which editor that identity is, is ``shipments.sso``'s to say, on every
page run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit.errors import StreamlitSecretNotFoundError

from shipments.db import session_scope
from shipments.sso import Match, Provider, editor_for_identity
from shipments.sso import providers as configured_providers
from shipments.ui import data


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
    return configured_providers(_auth_section())


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


def logout() -> NoReturn:
    """Forget this browser's single sign-on (Streamlit's cookie) and end it at the provider.

    The run stops here: ``st.logout`` only asks the browser to go to the logout route, and a
    rerun after it (a signed-out browser is moved off an editor's page) can cancel that
    navigation, leaving the identity cookie in place.
    """
    st.logout()
    st.stop()
