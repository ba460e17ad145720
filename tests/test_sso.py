"""Single sign-on: an identity's e-mail address maps to an editor account, or says why not.

The mapping (``shipments.sso``) is tested on its own; the Sign in page and the signed-in editor
in AppTest (``AppTest.user`` stands for the identity cookie); and the whole round trip in
Chromium against a local OpenID Connect provider (``oidc-provider-mock``, in a thread).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dashboard_pages import switch_page
from server import serve_dashboard
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from shipments.auth import disable_editor
from shipments.db import REPO_ROOT, session_scope
from shipments.models import AuditEvent, Editor, ShipmentRevision
from shipments.rules import utcnow
from shipments.sso import Match, Provider, editor_for_identity, providers

DASHBOARD = str(REPO_ROOT / "dashboard.py")
MOCK = "mock"


def give_email(engine: Engine, name: str, email: str) -> None:
    """Store ``email`` on the editor account ``name``, as ``editors add --email`` would."""
    with Session(engine) as db:
        db.execute(update(Editor).where(col(Editor.name) == name).values(email=email))
        db.commit()


def claims(email: object = "ana@example.org", **more: object) -> dict[str, object]:
    """Return an identity's claims as st.user holds them: issued now, verified, from ``mock``."""
    return {
        "email": email,
        "email_verified": True,
        "iat": int(time.time()),
        "provider": MOCK,
        "is_logged_in": True,
        **more,
    }


@pytest.fixture
def mapped(engine: Engine) -> Engine:
    """The migrated ledger, ana's account holding ana@example.org."""
    give_email(engine, "ana", "ana@example.org")
    return engine


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        (claims(), Match("editor", "ana@example.org", "ana")),
        (claims("  ANA@Example.org "), Match("editor", "ana@example.org", "ana")),
        (claims(email_verified="true"), Match("editor", "ana@example.org", "ana")),
        (
            {k: v for k, v in claims().items() if k != "email_verified"},
            Match("editor", "ana@example.org", "ana"),
        ),
        (claims(email_verified=False), Match("unverified", "ana@example.org")),
        (claims(email_verified="false"), Match("unverified", "ana@example.org")),
        (claims(email_verified=0), Match("unverified", "ana@example.org")),
        (claims("bo@example.org"), Match("unknown", "bo@example.org")),
        (claims(None), Match("no_email")),
        (claims(""), Match("no_email")),
        (claims(["ana@example.org"]), Match("no_email")),
        (claims("ana"), Match("no_email")),
        (claims(iat=None), Match("expired", "ana@example.org")),
        (claims(iat="yesterday"), Match("expired", "ana@example.org")),
        (claims(iat=int(time.time()) - 13 * 3600), Match("expired", "ana@example.org")),
    ],
    ids=[
        "verified",
        "case-and-spaces",
        "verified-as-text",
        "verification-not-said",
        "unverified",
        "unverified-as-text",
        "unverified-as-number",
        "no-editor-has-it",
        "no-email",
        "empty-email",
        "email-not-text",
        "not-an-address",
        "no-issue-time",
        "issue-time-not-a-number",
        "older-than-a-session-lives",
    ],
)
def test_an_identity_maps_to_the_editor_whose_address_it_is(
    mapped: Engine, identity: dict[str, object], expected: Match
):
    with Session(mapped) as db:
        assert editor_for_identity(session=db, claims=identity) == expected


def test_a_disabled_editors_address_opens_nothing(mapped: Engine):
    with session_scope(mapped) as db:
        disable_editor(session=db, name="ana", by="tests")
        found = editor_for_identity(session=db, claims=claims())
    assert (found.outcome, found.ok, found.editor) == ("disabled", False, "ana")


def test_the_lifetime_bound_follows_the_session_setting(mapped: Engine, monkeypatch):
    issued = claims(iat=int(time.time()) - 2 * 3600)
    with Session(mapped) as db:
        assert editor_for_identity(session=db, claims=issued).ok
        monkeypatch.setenv("LEDGER_SESSION_LIFETIME_HOURS", "1")
        assert editor_for_identity(session=db, claims=issued).outcome == "expired"
        later = utcnow() + timedelta(hours=13)
        fresh = claims()
        assert editor_for_identity(
            session=db, claims=fresh, now=later, lifetime=timedelta(hours=14)
        ).ok


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s"}
KEYS = {"client_id": "c", "client_secret": "s", "server_metadata_url": "http://idp/.well-known"}


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ({}, []),
        ({**AUTH, "google": KEYS}, [Provider("google", "Google")]),
        ({**AUTH, **KEYS}, [Provider("default", "single sign-on")]),
        (
            {**AUTH, "google": KEYS, "my-idp": KEYS},
            [Provider("google", "Google"), Provider("my-idp", "My Idp")],
        ),
        ({**AUTH, "google": {**KEYS, "client_secret": ""}}, []),
        ({"cookie_secret": "s", "google": KEYS}, []),
        ({"redirect_uri": "http://localhost:8501/oauth2callback", "google": KEYS}, []),
        ({**AUTH, "expose_tokens": "id"}, []),
    ],
    ids=[
        "nothing",
        "one-provider",
        "default-provider",
        "two-providers",
        "provider-missing-a-key",
        "no-redirect-uri",
        "no-cookie-secret",
        "no-provider",
    ],
)
def test_single_sign_on_is_on_only_with_a_complete_auth_section(
    auth: dict[str, object], expected: list[Provider]
):
    assert providers(auth) == expected


SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a test secret, long enough to sign with",
        MOCK: {
            "client_id": "ledger",
            "client_secret": "not a secret",
            "server_metadata_url": "http://localhost:1/.well-known/openid-configuration",
        },
    }
}


def sign_in_page(monkeypatch: pytest.MonkeyPatch, url: str, **setup: Any) -> AppTest:
    """Run the dashboard in AppTest (with ``secrets`` and ``user`` if given), on Sign in."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    for name, value in setup.items():
        setattr(app, name, value)
    app.run()
    switch_page(app, "/sign-in")
    return app.run()


def shown(markdown: str) -> str:
    """Return markdown text as it reads on screen: escapes and zero-width spaces gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def buttons(app: AppTest) -> list[str]:
    return [b.label for b in app.button]


def an_editor(app: AppTest) -> bool:
    """Return True when the page run took the visitor for an editor (the sign-out button)."""
    return any(label.startswith("Sign out (") for label in buttons(app))


@pytest.mark.usefixtures("fresh_caches")
def test_without_auth_secrets_the_page_offers_only_the_password_form(
    mapped: Engine, database_url: str, monkeypatch
):
    app = sign_in_page(monkeypatch, database_url, user=claims())
    assert not app.exception
    assert not [label for label in buttons(app) if label.startswith("Sign in with")]
    assert not an_editor(app)  # a leftover identity cookie opens nothing when SSO is off
    assert "/auth/sign-in" in app.get("html")[0].proto.body


@pytest.mark.usefixtures("fresh_caches")
def test_with_auth_secrets_the_page_offers_the_provider_beside_the_form(
    mapped: Engine, database_url: str, monkeypatch
):
    app = sign_in_page(monkeypatch, database_url, secrets=SECRETS, user={"is_logged_in": False})
    assert not app.exception
    assert "Sign in with Mock" in buttons(app)
    assert "/auth/sign-in" in app.get("html")[0].proto.body


@pytest.mark.usefixtures("fresh_caches")
def test_an_identity_with_an_editors_address_is_that_editor(
    mapped: Engine, database_url: str, monkeypatch
):
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    app = AppTest.from_file(DASHBOARD, default_timeout=60)
    app.secrets, app.user = SECRETS, claims()
    app.run()
    assert not app.exception
    assert "Sign out (ana)" in buttons(app)
    switch_page(app, "/edit").run()
    assert [t.value for t in app.title] == ["Edit the ledger"]
    assert not app.warning


@pytest.mark.usefixtures("fresh_caches")
def test_an_identity_with_no_editors_address_is_told_it_is_a_viewer(
    mapped: Engine, database_url: str, monkeypatch
):
    app = sign_in_page(monkeypatch, database_url, secrets=SECRETS, user=claims("eve@example.org"))
    assert not app.exception
    assert not an_editor(app)
    [warning] = [shown(w.value) for w in app.warning]
    assert warning.startswith("eve@example.org is not the e-mail address of any editor account.")
    assert [c.value for c in app.code] == [
        "python -m shipments editors add NAME --email eve@example.org"
    ]
    assert "Sign out of Mock" in buttons(app)
    assert not [label for label in buttons(app) if label.startswith("Sign in with")]


@pytest.mark.usefixtures("fresh_caches")
def test_an_identity_of_a_disabled_editor_cannot_edit(
    mapped: Engine, database_url: str, monkeypatch
):
    with session_scope(mapped) as db:
        disable_editor(session=db, name="ana", by="tests")
    app = sign_in_page(monkeypatch, database_url, secrets=SECRETS, user=claims())
    assert not app.exception
    assert not an_editor(app)
    [warning] = [shown(w.value) for w in app.warning]
    assert warning.startswith("ana@example.org belongs to a disabled editor account.")
    assert not app.code


@pytest.mark.usefixtures("fresh_caches")
def test_with_no_editor_yet_the_page_says_how_to_make_the_first(database_url: str, monkeypatch):
    app = sign_in_page(monkeypatch, database_url)
    assert not app.exception
    [info] = [i.value for i in app.info]
    assert "No editor account exists yet" in info
    assert "python -m shipments editors add NAME" in info


@pytest.mark.usefixtures("fresh_caches")
def test_with_editors_the_page_says_nothing_of_a_first(
    engine: Engine, database_url: str, monkeypatch
):
    app = sign_in_page(monkeypatch, database_url)
    assert not app.exception
    assert not app.info


# The round trip in a browser: a real provider, a real `streamlit run`, Chromium.


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a local OpenID Connect provider in a thread; yield its address.

    ana's address is verified (and written in capitals); any other subject typed on its page
    gets ``email`` = subject, verification not said.
    """
    oidc = pytest.importorskip("oidc_provider_mock")
    # The provider (Authlib's server side) refuses plain HTTP without this, as its own CLI sets.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    users = [oidc.User(sub="ana", claims={"email": "Ana@Example.org", "email_verified": True})]
    with oidc.run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def write_secrets(folder: Path, provider: str) -> Path:
    """Write a secrets.toml that turns single sign-on on with ``provider`` as ``mock``."""
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(16).hex()}"\n'
        f"[auth.{MOCK}]\n"
        'client_id = "ledger"\n'
        'client_secret = "not a secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


def heading(page: Any, title: str) -> None:
    page.locator("h1").filter(has_text=re.compile(f"^{re.escape(title)}$")).wait_for(timeout=30_000)


def through_the_provider(page: Any, base: str, subject: str) -> None:
    """Press "Sign in with Mock" and sign in at the provider as ``subject``; wait to be back."""
    page.goto(f"{base}/sign-in")
    page.get_by_role("button", name="Sign in with Mock").click()
    page.wait_for_url(re.compile(r"http://localhost:\d+/oauth2/authorize"), timeout=30_000)
    page.get_by_role("textbox").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base}/", timeout=30_000)


@pytest.mark.e2e
@pytest.mark.slow
def test_an_editor_signs_in_with_the_provider_and_adds_a_shipment(
    browser: Any, provider: str, seeded_engine: Engine, database_url: str, tmp_path: Path
):
    from test_e2e import fill_add_form

    give_email(seeded_engine, "ana", "ana@example.org")  # stored lower case, as the CLI does
    seeded_engine.dispose()
    secrets = write_secrets(tmp_path, provider)
    with serve_dashboard(database_url, tmp_path, secrets_file=secrets) as served:
        context = browser.new_context()
        page = context.new_page()
        through_the_provider(page, served.base, "ana")
        page.get_by_role("link", name="Edit").click(timeout=30_000)
        heading(page, "Edit the ledger")
        fill_add_form(
            page,
            cargo="medicine",
            tonnes="7",
            url="https://example.org/sso-aid",
            title="Aid recorded by single sign-on",
        )
        page.get_by_role("button", name="Add shipment").click()
        page.get_by_text(re.compile(r"Added shipment \d+")).wait_for(timeout=30_000)
        # The routes know the sign-on too: the editors' file answers.
        assert context.request.get(f"{served.base}/data/audit.csv").status == 200

        # Signing out clears Streamlit's identity cookie and ends the sign-on at the provider,
        # which asks first and then sends the browser back.
        page.get_by_role("button", name="Sign out (ana)").click()
        page.wait_for_url(re.compile(r"http://localhost:\d+/oauth2/end_session"), timeout=30_000)
        assert not [c for c in context.cookies() if c["name"].startswith("_streamlit_user")]
        assert context.request.get(f"{served.base}/data/audit.csv").status == 401
        page.get_by_role("button", name="End session").click()
        page.get_by_role("link", name="Sign in").wait_for(timeout=30_000)
        page.goto(f"{served.base}/edit")  # opens, asks to sign in, and offers nothing
        page.get_by_text("Sign in as an editor to open this page").wait_for(timeout=30_000)
        assert page.get_by_role("link", name="Edit", exact=True).count() == 0
        assert page.get_by_role("button", name="Add shipment").count() == 0
        context.close()
    with Session(seeded_engine) as db:
        added = db.exec(select(ShipmentRevision).order_by(col(ShipmentRevision.id).desc())).first()
        appended = select(AuditEvent).where(col(AuditEvent.action) == "shipment.append")
        event = db.exec(appended.order_by(col(AuditEvent.id).desc())).first()
    assert added is not None
    assert event is not None
    assert (added.recorded_by, added.mass_kg) == ("ana", 7000)
    assert (event.actor, event.via) == ("ana", "form")


@pytest.mark.e2e
@pytest.mark.slow
def test_an_address_of_no_editor_is_told_so_and_stays_a_viewer(
    browser: Any, provider: str, seeded_engine: Engine, database_url: str, tmp_path: Path
):
    seeded_engine.dispose()
    secrets = write_secrets(tmp_path, provider)
    with serve_dashboard(database_url, tmp_path, secrets_file=secrets) as served:
        context = browser.new_context()
        page = context.new_page()
        through_the_provider(page, served.base, "eve@example.org")
        # Back on the home page, a notice that stays says why this is no editor.
        toast = page.locator('[data-testid="stToast"]')
        toast.filter(has_text="is not the e-mail address of any editor account").wait_for(
            timeout=30_000
        )
        page.get_by_role("link", name="Sign in").click()
        page.get_by_role("button", name="Sign out of Mock").wait_for(timeout=30_000)
        assert context.request.get(f"{served.base}/data/audit.csv").status == 401
        assert page.get_by_role("link", name="Edit", exact=True).count() == 0
        page.goto(f"{served.base}/edit")  # opens, asks to sign in, and offers nothing
        page.get_by_text("Sign in as an editor to open this page").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Add shipment").count() == 0
        context.close()


@pytest.mark.e2e
@pytest.mark.slow
def test_without_auth_secrets_the_sign_in_page_has_no_provider_button(
    browser: Any, seeded_engine: Engine, database_url: str, tmp_path: Path
):
    seeded_engine.dispose()
    with serve_dashboard(database_url, tmp_path, secrets_file=tmp_path / "none.toml") as served:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{served.base}/sign-in")
        page.get_by_role("textbox", name="Password").wait_for(timeout=30_000)
        assert page.get_by_role("button", name=re.compile("^Sign in with")).count() == 0
        context.close()
