"""Editor sessions and sign-in over HTTP: the cookie, expiry, sign-out, CSRF, the throttle.

The routes run in process through Starlette's test client, on an app with the same routes and
middleware as ``dashboard.py``'s ``st.App`` plus one route that answers who
``editor_from_request`` says is signed in. Browser tests: tests/test_e2e.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from factories import EDITOR_PASSWORD
from sqlalchemy import Engine, func, inspect, text
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from shipments.auth import authenticate, disable_editor
from shipments.db import alembic_config, current_revision, make_engine, migrate, session_scope
from shipments.errors import InvalidInput
from shipments.models import EditorSession, SignInEvent, SignInThrottle
from shipments.rules import utcnow
from shipments.sessions import (
    COOKIE,
    SessionLimits,
    resolve_session,
    session_limits,
    start_session,
)
from shipments.web import auth, routes

SITE = "http://testserver"
PROXY = "10.0.0.1"


def whoami(request: Request) -> PlainTextResponse:
    return PlainTextResponse(auth.editor_from_request(request) or "nobody")


def make_client(peer: str = "192.0.2.1") -> TestClient:
    app = Starlette(
        routes=[*routes.routes(), Route("/whoami", whoami)], middleware=routes.middleware()
    )
    return TestClient(app, client=(peer, 50000), follow_redirects=False)


@pytest.fixture
def ledger(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated ledger with the editors ana, bo and carla, which the routes open."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    for setting in ("LEDGER_COOKIE_SECURE", "LEDGER_TRUSTED_PROXIES"):
        monkeypatch.delenv(setting, raising=False)
    auth._engine.cache_clear()
    yield engine
    auth._engine.cache_clear()


def post_sign_in(
    client: TestClient,
    name: str = "ana",
    password: str = EDITOR_PASSWORD,
    *,
    origin: str | None = SITE,
    forwarded_for: str | None = None,
    next_path: str | None = None,
) -> object:
    headers = {}
    if origin is not None:
        headers["Origin"] = origin
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    form = {"username": name, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/auth/sign-in", data=form, headers=headers)


def holding(client: TestClient, token: str | None) -> TestClient:
    """Make the client send this session token (or none) as its cookie, and nothing else."""
    client.cookies.clear()
    if token:
        client.cookies.set(COOKIE, token)
    return client


def who(client: TestClient, token: str | None = None) -> str:
    return holding(client, token).get("/whoami").text


def count(engine: Engine, model: type) -> int:
    with Session(engine) as db:
        return int(db.exec(select(func.count()).select_from(model)).one())


def test_sign_in_sets_an_http_only_lax_cookie_holding_a_token_stored_only_as_its_hash(ledger):
    client = make_client()
    answer = post_sign_in(client)
    assert (answer.status_code, answer.headers["location"]) == (303, "/edit")
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie
    token = answer.cookies[COOKIE]
    assert len(token) >= 43
    with Session(ledger) as db:
        [held] = db.exec(select(EditorSession)).all()
    assert held.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(held.model_dump())
    assert who(client, token) == "ana"
    assert who(client) == "nobody"
    assert who(client, "not-a-token") == "nobody"


def test_the_cookie_is_secure_when_the_setting_says_https(ledger, monkeypatch):
    monkeypatch.setenv("LEDGER_COOKIE_SECURE", "1")
    assert "Secure" in post_sign_in(make_client()).headers["set-cookie"]


@pytest.mark.parametrize(
    ("asked", "went"),
    [
        ("/audit?donor=China", "/audit?donor=China"),
        ("//evil.example/edit", "/edit"),
        ("https://evil.example/", "/edit"),
        ("/\\evil.example", "/edit"),
        ("", "/edit"),
    ],
)
def test_sign_in_goes_on_to_a_page_of_this_site_only(ledger, asked: str, went: str):
    assert post_sign_in(make_client(), next_path=asked).headers["location"] == went


def test_a_wrong_password_gets_401_and_the_form_again_and_no_cookie(ledger):
    answer = post_sign_in(make_client(), password="not the password")
    assert answer.status_code == 401
    assert "Wrong name or password." in answer.text
    assert 'action="/auth/sign-in"' in answer.text
    assert COOKIE not in answer.headers.get("set-cookie", "")
    assert count(ledger, EditorSession) == 0


def test_the_sign_in_page_escapes_what_it_is_given(ledger):
    answer = make_client().get("/auth/sign-in", params={"next": '/x"><script>alert(1)</script>'})
    assert answer.status_code == 200
    assert "<script>" not in answer.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Referer": "http://evil.example/form"},
        {"Origin": "http://testserver.evil.example"},
        {},
    ],
    ids=["other-origin", "null-origin", "other-referer", "lookalike", "neither"],
)
def test_a_cross_site_sign_in_gets_nothing_done(ledger, headers: dict[str, str]):
    client = make_client()
    answer = client.post(
        "/auth/sign-in",
        data={"username": "ana", "password": EDITOR_PASSWORD},
        headers=headers,
    )
    assert answer.status_code == 403
    assert COOKIE not in answer.headers.get("set-cookie", "")
    assert (count(ledger, EditorSession), count(ledger, SignInEvent)) == (0, 0)


def test_a_same_site_referer_stands_for_a_missing_origin(ledger):
    client = make_client()
    answer = client.post(
        "/auth/sign-in",
        data={"username": "ana", "password": EDITOR_PASSWORD},
        headers={"Referer": f"{SITE}/sign-in"},
    )
    assert answer.status_code == 303


@pytest.mark.parametrize("route", ["/auth/sign-out", "/auth/sign-out-everywhere"])
def test_a_cross_site_sign_out_ends_no_session(ledger, route: str):
    client = make_client()
    token = post_sign_in(client).cookies[COOKIE]
    answer = holding(client, token).post(route, headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403
    assert who(client, token) == "ana"


def test_sign_out_ends_the_session_on_the_server_and_clears_the_cookie(ledger):
    client = make_client()
    token = post_sign_in(client).cookies[COOKIE]
    other = post_sign_in(make_client()).cookies[COOKIE]
    answer = holding(client, token).post("/auth/sign-out", headers={"Origin": SITE})
    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    assert f'{COOKIE}=""' in answer.headers["set-cookie"]
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert who(client, token) == "nobody"
    assert who(client, other) == "ana"


def test_sign_out_everywhere_ends_every_session_of_that_editor_only(ledger):
    client = make_client()
    here, there = (post_sign_in(client).cookies[COOKIE] for _ in range(2))
    bos = post_sign_in(client, "bo").cookies[COOKIE]
    answer = holding(client, here).post("/auth/sign-out-everywhere", headers={"Origin": SITE})
    assert answer.status_code == 303
    assert [who(client, t) for t in (here, there, bos)] == ["nobody", "nobody", "bo"]


def test_an_editor_disabled_while_signing_in_is_told_so_and_gets_no_session(ledger, monkeypatch):
    opened = auth.start_session

    def disabled_first(**kwargs: object) -> str:
        with session_scope(ledger) as db:
            disable_editor(session=db, name="ana", by="root")
        return opened(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "start_session", disabled_first)
    answer = post_sign_in(make_client())
    assert (answer.status_code, "This editor account is disabled." in answer.text) == (403, True)
    assert COOKIE not in answer.headers.get("set-cookie", "")
    assert count(ledger, EditorSession) == 0


def test_disabling_an_editor_ends_their_sessions_in_the_same_write(ledger):
    with session_scope(ledger) as db:
        tokens = [start_session(session=db, editor="carla") for _ in range(2)]
        kept = start_session(session=db, editor="bo")
        disable_editor(session=db, name="carla", by="root")
        revoked = db.exec(select(EditorSession.revoked_at, EditorSession.editor_id)).all()
        assert [resolve_session(session=db, token=t) for t in [*tokens, kept]] == [
            None,
            None,
            "bo",
        ]
    assert sorted(at is not None for at, _ in revoked) == [False, True, True]


def test_a_session_expires_after_its_idle_time_and_its_lifetime(ledger):
    start = utcnow()
    limits = SessionLimits(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    with session_scope(ledger) as db:
        token = start_session(session=db, editor="ana", now=start)

        def at(moment: timedelta) -> str | None:
            return resolve_session(session=db, token=token, now=start + moment, limits=limits)

        assert at(timedelta(minutes=29)) == "ana"
        assert at(timedelta(minutes=58)) == "ana"  # seen at 29 min: idle for 29 only
        assert at(timedelta(minutes=58 + 31)) is None
        idle = start_session(session=db, editor="ana", now=start)
        assert resolve_session(session=db, token=idle, now=start, limits=limits) == "ana"

        steady = start_session(session=db, editor="ana", now=start)
        for minutes in range(20, 12 * 60, 20):
            assert (
                resolve_session(
                    session=db,
                    token=steady,
                    now=start + timedelta(minutes=minutes),
                    limits=limits,
                )
                == "ana"
            )
        late = start + timedelta(hours=12, seconds=1)
        assert resolve_session(session=db, token=steady, now=late, limits=limits) is None


def test_last_seen_is_written_at_most_once_a_minute(ledger):
    start = utcnow()
    with session_scope(ledger) as db:
        token = start_session(session=db, editor="ana", now=start)
        for seconds in (10, 30, 59):
            resolve_session(session=db, token=token, now=start + timedelta(seconds=seconds))
        assert db.exec(select(EditorSession.last_seen_at)).one() == start
        resolve_session(session=db, token=token, now=start + timedelta(seconds=61))
        assert db.exec(select(EditorSession.last_seen_at)).one() == start + timedelta(seconds=61)


def test_the_limits_come_from_the_environment_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.setenv("LEDGER_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("LEDGER_SESSION_LIFETIME_HOURS", "2")
    assert session_limits() == SessionLimits(timedelta(minutes=5), timedelta(hours=2))
    monkeypatch.setenv("LEDGER_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(InvalidInput, match="LEDGER_SESSION_IDLE_MINUTES: must be a whole number"):
        session_limits()
    monkeypatch.delenv("LEDGER_SESSION_IDLE_MINUTES")
    monkeypatch.delenv("LEDGER_SESSION_LIFETIME_HOURS")
    assert session_limits() == SessionLimits(timedelta(minutes=30), timedelta(hours=12))


def test_the_idle_setting_expires_a_session_through_the_routes(ledger, monkeypatch):
    client = make_client()
    token = post_sign_in(client).cookies[COOKIE]
    with Session(ledger) as db:
        held = db.exec(select(EditorSession)).one()
        held.last_seen_at = utcnow() - timedelta(minutes=6)
        db.add(held)
        db.commit()
    monkeypatch.setenv("LEDGER_SESSION_IDLE_MINUTES", "10")
    assert who(client, token) == "ana"
    with Session(ledger) as db:
        held = db.exec(select(EditorSession)).one()
        held.last_seen_at = utcnow() - timedelta(minutes=11)
        db.add(held)
        db.commit()
    assert who(client, token) == "nobody"


def test_five_wrong_passwords_from_one_address_do_not_stop_the_right_one_from_another(
    ledger, monkeypatch
):
    monkeypatch.setenv("LEDGER_TRUSTED_PROXIES", f"{PROXY}, 10.1.0.0/16")
    behind_proxy = make_client(PROXY)
    for _ in range(5):
        answer = post_sign_in(
            behind_proxy, password="not it", forwarded_for="203.0.113.5, 10.1.2.3"
        )
        assert answer.status_code in (401, 429)
    stranger = post_sign_in(behind_proxy, forwarded_for="203.0.113.5")
    assert stranger.status_code == 429
    assert int(stranger.headers["retry-after"]) >= 1
    editor = post_sign_in(behind_proxy, forwarded_for="198.51.100.7")
    assert editor.status_code == 303
    with Session(ledger) as db:
        addresses = {row.address for row in db.exec(select(SignInThrottle))}
        logged = {row.address for row in db.exec(select(SignInEvent))}
    assert addresses == {"203.0.113.5", "198.51.100.7"}
    assert logged == {"203.0.113.5", "198.51.100.7"}


def test_x_forwarded_for_is_ignored_unless_the_connection_is_a_trusted_proxy(ledger, monkeypatch):
    monkeypatch.setenv("LEDGER_TRUSTED_PROXIES", PROXY)
    direct = make_client("192.0.2.9")
    for n in range(5):
        post_sign_in(direct, password="not it", forwarded_for=f"198.51.100.{n}")
    assert post_sign_in(direct, forwarded_for="198.51.100.77").status_code == 429
    with Session(ledger) as db:
        assert {row.address for row in db.exec(select(SignInThrottle))} == {"192.0.2.9"}


def test_a_bad_trusted_proxies_setting_is_named(monkeypatch):
    monkeypatch.setenv("LEDGER_TRUSTED_PROXIES", "10.0.0.1, proxy.local")
    with pytest.raises(ValueError, match=r"LEDGER_TRUSTED_PROXIES: 'proxy\.local' is not an IP"):
        auth.trusted_proxies()


def test_many_names_from_one_address_are_slowed_as_one_caller(session: Session):
    moment = utcnow()
    for n in range(11):
        outcome = authenticate(
            session=session, name=f"guess{n}", password="x", address="203.0.113.5", now=moment
        ).outcome
        assert outcome == "unknown_name"
    late = authenticate(
        session=session, name="ana", password=EDITOR_PASSWORD, address="203.0.113.5", now=moment
    )
    assert (late.outcome, late.retry_after) == ("throttled", moment + timedelta(seconds=1))
    elsewhere = authenticate(
        session=session, name="ana", password=EDITOR_PASSWORD, address="198.51.100.7", now=moment
    )
    assert elsewhere.ok


def test_two_hundred_throttled_attempts_add_at_most_a_handful_of_rows(session: Session):
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    moment = utcnow()
    outcomes = [
        authenticate(
            session=session, name="ana", password="guess", address="203.0.113.5", now=moment
        ).outcome
        for _ in range(204)
    ]
    assert outcomes.count("throttled") == 200
    assert count(engine, SignInEvent) + count(engine, SignInThrottle) <= 5
    with Session(engine) as db:
        [counter] = db.exec(select(SignInThrottle)).all()
    assert (counter.failures, counter.throttled) == (4, 200)


def test_migration_0009_makes_writable_session_tables_and_goes_back(database_url: str):
    engine = make_engine(database_url)
    migrate(engine, "0008")
    migrate(engine)
    assert {"editor_session", "sign_in_throttle"} <= set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sign_in_throttle (name, address, failures, throttled, first_at,"
                " last_at) VALUES ('ana', '192.0.2.1', 1, 0, '2026-01-01 00:00:00',"
                " '2026-01-01 00:00:00')"
            )
        )
        connection.execute(text("UPDATE sign_in_throttle SET failures = 2"))
        connection.execute(text("UPDATE sign_in_event SET address = 'x'"))
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    assert current_revision(engine) == "0008"
    assert "editor_session" not in inspect(engine).get_table_names()
    migrate(engine)
    engine.dispose()


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("LEDGER_SESSION_LIFETIME_HOURS", "twelve", "LEDGER_SESSION_LIFETIME_HOURS: must be"),
        ("LEDGER_TRUSTED_PROXIES", "proxy.local", "LEDGER_TRUSTED_PROXIES: 'proxy.local'"),
    ],
)
def test_a_bad_setting_stops_the_server_at_start(
    ledger, monkeypatch, setting: str, value: str, said: str
):
    monkeypatch.setenv(setting, value)
    app = Starlette(routes=routes.routes(), lifespan=routes.lifespan)
    with pytest.raises((InvalidInput, ValueError), match=re.escape(said)), TestClient(app):
        pass


def test_a_refused_sign_in_keeps_the_name_typed_escaped(ledger):
    answer = post_sign_in(make_client(), name='ana"><script>', password="not the password")
    assert answer.status_code == 401
    assert 'value="ana&quot;&gt;&lt;script&gt;"' in answer.text
    assert "<script>" not in answer.text.split("</style>")[-1]
