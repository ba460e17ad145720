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
import os
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request

from shipments.db import database_url, make_engine, session_scope
from shipments.sessions import resolve_session

COOKIE = "ledger_session"
SECURE_SETTING = "LEDGER_COOKIE_SECURE"
PROXIES_SETTING = "LEDGER_TRUSTED_PROXIES"


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    """Return the engine of the configured ledger, made once per URL."""
    return _engine(database_url())


def editor_from_request(request: Request) -> str | None:
    """Return the name of the editor the request's session cookie signs in, or None."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        with session_scope(engine()) as db:
            return resolve_session(session=db, token=token)
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
