"""The single sign-on a request carries, for the routes: Streamlit's signed identity cookie.

A page learns the identity from ``st.user``; a route has only the request. Streamlit's login
callback stores the identity (the provider's ID token claims) in the cookie ``_streamlit_user``,
split into numbered chunks when long, signed with the ``[auth]`` cookie secret, and with the
origin of the configured ``redirect_uri``. This reads it back as the websocket does: a cookie
that is unsigned, signed with another secret, or made for another origin is no identity.
"""

from __future__ import annotations

import json

from sqlalchemy import Engine
from starlette.requests import Request
from streamlit.auth_util import (
    get_cookie_with_chunks,
    get_origin_from_redirect_uri,
    get_secrets_auth_section,
)
from streamlit.web.server.server_util import get_cookie_secret
from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

from shipments.db import session_scope
from shipments.sso import editor_for_identity, providers


def identity_from_request(request: Request) -> dict[str, object] | None:
    """Return the claims of the single sign-on the request's cookie holds, or None.

    None too when single sign-on is off, whatever identity cookie the browser still sends.
    """
    if not providers(get_secrets_auth_section().to_dict()):
        return None
    secret = get_cookie_secret()

    def one(name: str) -> bytes | None:
        value = request.cookies.get(name)
        if value is None:
            return None
        return decode_signed_value(secret, name, value.encode("latin-1"))

    raw = get_cookie_with_chunks(one, USER_COOKIE_NAME)
    if raw is None:
        return None
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(payload, dict) or not payload.get("is_logged_in"):
        return None
    if payload.get("origin") != get_origin_from_redirect_uri():
        return None
    return payload


def editor_from_identity(request: Request, engine: Engine) -> str | None:
    """Return the active editor whose address the request's single sign-on is, or None."""
    claims = identity_from_request(request)
    if claims is None:
        return None
    with session_scope(engine) as db:
        found = editor_for_identity(session=db, claims=claims)
    return found.editor if found.ok else None
