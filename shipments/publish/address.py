"""Where the latest snapshot is served (``LEDGER_SNAPSHOT_URL``), for the dashboard to link to."""

from __future__ import annotations

import os

from shipments.errors import InvalidInput
from shipments.rules import clean_url

SNAPSHOT_SETTING = "LEDGER_SNAPSHOT_URL"


def snapshot_url() -> str | None:
    """Return the snapshot's http(s) address from the environment, None when unset; refuse
    any other value, naming the setting and the rule."""
    given = os.environ.get(SNAPSHOT_SETTING, "").strip()
    if not given:
        return None
    try:
        return clean_url(given)
    except ValueError as exc:
        raise InvalidInput.single(SNAPSHOT_SETTING, str(exc)) from None
