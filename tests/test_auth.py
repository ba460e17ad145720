"""Editor accounts and sign-in: hashing, throttling, names, the seed's privilege."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from typing import Any

import pytest
from factories import EDITOR_PASSWORD, make_shipment, row_counts
from sqlalchemy import Engine
from sqlmodel import Session

from shipments.audit import audit_events, sign_in_events
from shipments.auth import add_editor, authenticate, delay, find_editor, list_editors
from shipments.cli import main
from shipments.errors import InvalidInput
from shipments.ledger import append_shipment, retract_shipment
from shipments.rules import utcnow


def test_passwords_are_stored_as_argon2_hashes(session: Session):
    editor = add_editor(session=session, name="dora", password="a long passphrase", by="root")
    stored = find_editor(session=session, name="dora")
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert "a long passphrase" not in stored.password_hash
    assert (editor.name, editor.active, editor.created_by) == ("dora", True, "root")
    [event] = [e for e in audit_events(session=session) if e.action == "editor.add"]
    assert (event.actor, event.via, event.subject) == ("root", "cli", "editor dora")


@pytest.mark.parametrize(
    ("name", "password", "email", "field", "rule"),
    [
        ("dora", "short", None, "password", "at least 12 characters"),
        ("dora", " " * 12, None, "password", "not be only spaces"),
        ("dora", "bad \udcff byte pass", None, "password", "valid text"),
        ("dora", "aaaaaaaaaaaa", None, "password", "at least 5 different characters"),
        ("dora", "Password1234", None, "password", "commonest passwords"),
        ("dora", "correct horse battery staple", None, "password", "commonest passwords"),
        ("dora", "a long passphrase " * 57, None, "password", "at most 1024 bytes"),
        ("ANA", "a long passphrase", None, "name", "an editor named 'ANA' already exists"),
        ("seed", "a long passphrase", None, "name", "'seed' is reserved: the ledger writes as it"),
        ("Ledger", "a long passphrase", None, "name", "'ledger' is reserved"),
        ("an\u200ba", "a long passphrase", None, "name", "invisible formatting characters"),
        ("\u202eana", "a long passphrase", None, "name", "invisible formatting characters"),
        ("dora", "a long passphrase", "not-an-address", "email", "must be an e-mail address"),
    ],
)
def test_bad_accounts_are_refused(
    session: Session, engine: Engine, name, password, email, field, rule
):
    before = row_counts(engine)
    with pytest.raises(InvalidInput) as refused:
        add_editor(session=session, name=name, password=password, by="root", email=email)
    assert refused.value.fields() == {field}
    assert rule in str(refused.value)
    assert row_counts(engine) == before


def test_an_editor_gets_an_email_address_later_and_the_audit_says_so(
    session: Session, engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
):
    out = io.StringIO()
    code = main(
        ["--database-url", database_url, "editors", "set-email", "bo", " Bo@Example.org "],
        stdout=out,
    )
    assert (code, out.getvalue()) == (0, "editor bo: e-mail bo@example.org\n")
    assert find_editor(session=session, name="bo").email == "bo@example.org"  # type: ignore[union-attr]
    [event] = [e for e in audit_events(session=session) if e.action == "editor.email"]
    assert (event.subject, event.detail, event.via) == ("editor bo", "bo@example.org", "cli")
    before = row_counts(engine)
    for name, address, said in (
        ("ana", "bo@example.org", "email (EMAIL): is already used by another editor account"),
        ("ana", "not-an-address", "email (EMAIL): must be an e-mail address"),
        ("nobody", "n@example.org", "no editor named 'nobody'"),
    ):
        code = main(
            ["--database-url", database_url, "editors", "set-email", name, address],
            stdout=io.StringIO(),
        )
        assert code == 2
        assert said in capsys.readouterr().err
    assert row_counts(engine) == before


def test_an_email_used_twice_is_refused_cleanly(session: Session):
    add_editor(
        session=session,
        name="dora",
        password="a long passphrase",
        by="root",
        email="Dora@Example.org",
    )
    with pytest.raises(InvalidInput) as refused:
        add_editor(
            session=session,
            name="eve",
            password="a long passphrase",
            by="root",
            email="dora@example.org",
        )
    assert str(refused.value) == "email: is already used by another editor account"
    assert [e.name for e in list_editors(session=session)] == ["ana", "bo", "carla", "dora"]


def test_names_are_normalised_when_signing_in(session: Session):
    assert authenticate(session=session, name=" ana ", password=EDITOR_PASSWORD).editor == "ana"
    assert (
        authenticate(session=session, name="\uff41\uff4e\uff41", password=EDITOR_PASSWORD).editor
        == "ana"
    )
    assert authenticate(session=session, name="a\x00na", password=EDITOR_PASSWORD).outcome == (
        "unknown_name"
    )


def test_each_failure_after_the_third_doubles_the_wait(session: Session):
    start = utcnow()
    for _ in range(4):
        assert authenticate(session=session, name="ana", password="wrong!", now=start).outcome == (
            "wrong_password"
        )
    at = start
    for wait in (1, 2, 4, 8):
        early = authenticate(session=session, name="ana", password=EDITOR_PASSWORD, now=at)
        assert (early.outcome, early.retry_after) == ("throttled", at + timedelta(seconds=wait))
        at += timedelta(seconds=wait)
        assert authenticate(session=session, name="ana", password="wrong!", now=at).outcome == (
            "wrong_password"
        )
    assert authenticate(
        session=session, name="ana", password=EDITOR_PASSWORD, now=at + timedelta(seconds=16)
    ).ok


def test_the_wait_is_at_most_15_minutes():
    assert [delay(n, 3).total_seconds() for n in (0, 3, 4, 5, 6, 13, 14, 200)] == [
        0,
        0,
        1,
        2,
        4,
        512,
        900,
        900,
    ]


def test_a_count_starts_over_15_minutes_after_its_last_failure(session: Session):
    start = utcnow()
    for _ in range(40):
        authenticate(session=session, name="ana", password="wrong!", now=start)
    at = start + timedelta(minutes=15, seconds=1)
    for _ in range(3):
        assert authenticate(session=session, name="ana", password="wrong!", now=at).outcome == (
            "wrong_password"
        )
    assert authenticate(session=session, name="ana", password=EDITOR_PASSWORD, now=at).ok


def test_three_failures_cost_no_wait(session: Session):
    start = utcnow()
    for _ in range(3):
        authenticate(session=session, name="bo", password="wrong!", now=start)
    assert authenticate(session=session, name="bo", password=EDITOR_PASSWORD, now=start).ok


def test_attempts_at_the_same_moment_cannot_pass_the_throttle(engine: Engine):
    outcomes: list[str] = []
    lock = threading.Lock()
    moment = utcnow()

    def guess(n: int) -> None:
        with Session(engine) as own:
            result = authenticate(session=own, name="ana", password=f"guess {n}", now=moment)
        with lock:
            outcomes.append(result.outcome)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("wrong_password") <= 4
    assert outcomes.count("throttled") >= 8
    with Session(engine) as check:
        logged = [e.outcome for e in sign_in_events(session=check)]
    assert sorted(logged) == sorted(o for o in outcomes if o != "throttled")


def test_only_the_seed_loader_writes_as_seed(seeded_session: Session, seeded_engine: Engine):
    before = row_counts(seeded_engine)
    for by, via in (("seed", "seed"), ("seed", "cli"), ("ana", "seed")):
        with pytest.raises(InvalidInput, match="only the seed loader"):
            append_shipment(session=seeded_session, shipment_in=make_shipment(), by=by, via=via)
    assert row_counts(seeded_engine) == before


def test_long_reasons_fit_the_audit_trail(seeded_session: Session):
    retract_shipment(session=seeded_session, shipment_id=1, reason="r" * 2000, by="ana", via="cli")
    [event] = [e for e in audit_events(session=seeded_session) if e.action == "shipment.retract"]
    assert event.detail == "reason: " + "r" * 2000


def test_a_sign_in_with_a_password_over_1_kb_fails_without_hashing_it(
    session: Session, monkeypatch: pytest.MonkeyPatch
):
    import shipments.auth

    hashed: list[int] = []

    class Spy:
        def __init__(self, hasher: Any) -> None:
            self.hasher = hasher

        def verify(self, password_hash: str, password: str) -> bool:
            hashed.append(len(password))
            return bool(self.hasher.verify(password_hash, password))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.hasher, name)

    monkeypatch.setattr(shipments.auth, "_hasher", Spy(shipments.auth._hasher))
    huge = authenticate(session=session, name="ana", password="x" * 20_000_000)
    assert (huge.outcome, hashed) == ("wrong_password", [])
    assert authenticate(session=session, name="ana", password=EDITOR_PASSWORD).outcome == "success"
    assert hashed == [len(EDITOR_PASSWORD)]
