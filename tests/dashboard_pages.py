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
