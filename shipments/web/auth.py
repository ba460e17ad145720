"""Editor sessions over HTTP: the cookie, sign-in and sign-out routes, the caller's address.

The session cookie (``COOKIE``) is ``HttpOnly``, ``SameSite=Lax``, ``Path=/``, and ``Secure``
when LEDGER_COOKIE_SECURE=1 (set it when the site is served over HTTPS). Every state-changing
route refuses a request whose ``Origin`` (or, without one, ``Referer``) is not this site.

The client address is the connection's, or, when the connection comes from a proxy listed in
LEDGER_TRUSTED_PROXIES (addresses or networks, comma-separated), the nearest address in
``X-Forwarded-For`` that is not such a proxy.
"""

from __future__ import annotations

import ipaddress
import math
import os
from functools import lru_cache, partial
from urllib.parse import urlsplit

import anyio
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from shipments.auth import SignIn, authenticate
from shipments.db import database_url, make_engine, session_scope
from shipments.errors import InvalidInput
from shipments.rules import utcnow
from shipments.sessions import (
    COOKIE,
    resolve_session,
    revoke_session,
    session_limits,
    sign_out_everywhere,
    start_session,
)
from shipments.sign_in_form import form_html, page_html
from shipments.web.sso import editor_from_identity

SECURE_SETTING = "LEDGER_COOKIE_SECURE"
PROXIES_SETTING = "LEDGER_TRUSTED_PROXIES"
SIGN_IN = "/auth/sign-in"
SIGN_OUT = "/auth/sign-out"
SIGN_OUT_EVERYWHERE = "/auth/sign-out-everywhere"
AFTER_SIGN_IN = "/edit"
NO_STORE = {"Cache-Control": "no-store"}
CROSS_SITE = "Refused: this request did not come from this site."
REFUSED = "Wrong name or password."


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    """Return the engine of the configured ledger, made once per URL."""
    return _engine(database_url())


def editor_from_request(request: Request) -> str | None:
    """Return the name of the editor the request's session cookie, or else its single sign-on
    (``shipments.web.sso``), signs in; or None."""
    token = request.cookies.get(COOKIE)
    try:
        if token:
            with session_scope(engine()) as db:
                name = resolve_session(session=db, token=token)
            if name is not None:
                return name
        return editor_from_identity(request, engine())
    except (SQLAlchemyError, OSError):
        return None


def client_address(request: Request) -> str:
    """Return the caller's address: the connection's, or behind a trusted proxy the nearest
    untrusted address in X-Forwarded-For."""
    peer = request.client.host if request.client else "unknown"
    trusted = trusted_proxies()
    if not _is_trusted(peer, trusted):
        return peer
    forwarded = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(forwarded):
        if not _is_trusted(hop, trusted):
            return hop[:255]
    return forwarded[0][:255] if forwarded else peer


def trusted_proxies() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Return the networks LEDGER_TRUSTED_PROXIES names; refuse an entry that is no address."""
    return _parse_proxies(os.environ.get(PROXIES_SETTING, ""))


@lru_cache(maxsize=8)
def _parse_proxies(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{PROXIES_SETTING}: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def _is_trusted(
    address: str, trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def check_settings() -> None:
    """Refuse, naming the variable, a session or proxy setting that cannot be used."""
    session_limits()
    trusted_proxies()


def auth_routes() -> list[BaseRoute]:
    """Return the sign-in and sign-out routes."""
    return [
        Route(SIGN_IN, sign_in_page, methods=["GET"]),
        Route(SIGN_IN, sign_in, methods=["POST"]),
        Route(SIGN_OUT, sign_out, methods=["POST"]),
        Route(SIGN_OUT_EVERYWHERE, sign_out_all, methods=["POST"]),
    ]


def same_site(request: Request) -> bool:
    """Return True when the request's Origin (else its Referer) is this site (its Host)."""
    host = request.headers.get("host", "").lower()
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not host or source in ("", "null"):
        return False
    return urlsplit(source).netloc.lower() == host


def cookie_secure() -> bool:
    """Return True when LEDGER_COOKIE_SECURE=1: the site is served over HTTPS."""
    return os.environ.get(SECURE_SETTING, "").strip() == "1"


def sign_in_form(
    *, next_path: str = AFTER_SIGN_IN, problem: str | None = None, name: str = ""
) -> str:
    """Return the sign-in form as HTML (the Sign in page's), every value escaped."""
    return form_html(next_path=_local(next_path), problem=problem, name=name)


async def sign_in_page(request: Request) -> HTMLResponse:
    """Serve the sign-in form on a page of its own."""
    return _page(sign_in_form(next_path=request.query_params.get("next", AFTER_SIGN_IN)))


async def sign_in(request: Request) -> Response:
    """Check the posted name and password; on success set the session cookie and go on."""
    if not same_site(request):
        return PlainTextResponse(CROSS_SITE, status_code=403, headers=NO_STORE)
    form = await request.form(max_files=0, max_fields=8)
    name, password, next_path = (
        _text(form.get(field)) for field in ("username", "password", "next")
    )
    address = client_address(request)
    try:
        result, token = await anyio.to_thread.run_sync(partial(_sign_in, name, password, address))
    except (SQLAlchemyError, OSError):
        return _page("<p>The ledger's database does not answer; try again later.</p>", 503)
    if token is None:
        problem, status = _problem(result)
        headers = {}
        if result.retry_after is not None:
            headers["Retry-After"] = str(
                max(1, math.ceil((result.retry_after - utcnow()).total_seconds()))
            )
        again = sign_in_form(next_path=next_path, problem=problem, name=name)
        return _page(again, status, headers)
    response = RedirectResponse(_local(next_path), status_code=303, headers=NO_STORE)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(session_limits().lifetime.total_seconds()),
        path="/",
        secure=cookie_secure(),
        httponly=True,
        samesite="lax",
    )
    return response


async def sign_out(request: Request) -> Response:
    """End this browser's session on the server and clear its cookie."""
    return await _end(request, everywhere=False)


async def sign_out_all(request: Request) -> Response:
    """End every session of the signed-in editor, this one included."""
    return await _end(request, everywhere=True)


async def _end(request: Request, *, everywhere: bool) -> Response:
    if not same_site(request):
        return PlainTextResponse(CROSS_SITE, status_code=403, headers=NO_STORE)
    token = request.cookies.get(COOKIE)
    await anyio.to_thread.run_sync(partial(_revoke, token, everywhere))
    response = RedirectResponse("/", status_code=303, headers=NO_STORE)
    response.delete_cookie(COOKIE, path="/", secure=cookie_secure(), httponly=True, samesite="lax")
    return response


def _sign_in(name: str, password: str, address: str) -> tuple[SignIn, str | None]:
    with session_scope(engine()) as db:
        result = authenticate(session=db, name=name, password=password, address=address)
        if not result.ok or result.editor is None:
            return result, None
        try:
            return result, start_session(session=db, editor=result.editor, address=address)
        except InvalidInput:  # disabled between the password check and the session's write
            return SignIn("disabled", result.editor), None


def _revoke(token: str | None, everywhere: bool) -> None:
    with session_scope(engine()) as db:
        if everywhere:
            sign_out_everywhere(session=db, token=token)
        else:
            revoke_session(session=db, token=token)


def _problem(result: SignIn) -> tuple[str, int]:
    if result.outcome == "throttled" and result.retry_after is not None:
        at = result.retry_after.strftime("%H:%M:%S")
        return f"Too many failed sign-ins from here. Try again after {at} UTC.", 429
    if result.outcome == "disabled":
        return "This editor account is disabled.", 403
    return REFUSED, 401


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _local(path: str | None) -> str:
    """Return ``path`` when it is a path on this site, else where sign-in leads by default."""
    if not path or not path.startswith("/") or path.startswith(("//", "/\\")) or len(path) > 500:
        return AFTER_SIGN_IN
    if any(ch in path for ch in "\\\r\n\t") or urlsplit(path).netloc:
        return AFTER_SIGN_IN
    return path


def _page(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(
        page_html(body), status_code=status, headers={**NO_STORE, **(headers or {})}
    )
