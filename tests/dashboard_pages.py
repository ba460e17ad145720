"""Open the dashboard's pages in Streamlit's AppTest by their URL, as the menu does.

AppTest.switch_page finds a page by its file, and the dashboard's pages are functions; so this
finds the page by the URL path that st.navigation registered for it on the app's last run.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def switch_page(app: AppTest, url: str) -> AppTest:
    """Make the page at ``url`` ("/", "/ledger", ...) the one the next ``app.run()`` shows.

    Raise ValueError, as AppTest.switch_page does, when the last run's menu has no such page.
    """
    registered = app._registered_pages
    for page_hash, info in registered.items():
        if f"/{info.get('url_pathname', '')}" == url:
            app._page_hash = page_hash
            return app
    known = sorted(f"/{info.get('url_pathname', '')}" for info in registered.values())
    raise ValueError(f"Could not find a navigation page for {url!r}. Known pages: {known}.")


TOKEN_KEY = "_test_session_token"


def signed_in(app: AppTest, editor: str) -> AppTest:
    """Open a real session for ``editor`` in the configured ledger and give its token to ``app``
    as a browser's cookie would be (conftest's ``page_cookie_from_session_state`` reads it)."""
    from shipments.db import make_engine, session_scope
    from shipments.sessions import start_session

    engine = make_engine()
    try:
        with session_scope(engine) as db:
            app.session_state[TOKEN_KEY] = start_session(session=db, editor=editor)
    finally:
        engine.dispose()
    return app


def on_tab(app: AppTest, label: str) -> AppTest:
    """Open the Edit page's tab ``label`` and run: only the open tab's form is drawn."""
    app.session_state["edit_tab"] = label
    return app.run()
