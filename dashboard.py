"""Streamlit entry point: the server (``st.App``: its routes and middleware) and the pages.

``streamlit run dashboard.py`` finds ``app`` and serves it (uvicorn serves it too:
``uvicorn dashboard:app``): the pages, and beside them the routes of ``shipments.web``. Each
page run executes this file as ``__main__``; the navigation below runs only then, and ``app``
is made only when a server imports the file.

Which pages the menu shows to whom is ``shipments.ui.menu``'s; a signed-in editor also gets a
sign-out button in the sidebar.
The sidebar's filters show on the four read-only pages only, the ones they act on.
"""

import streamlit as st

from shipments.web import routes


def main() -> None:
    """Set up the page and run the one the navigation picks."""
    # The pages are imported here, in the page run, not when a server imports this file for
    # ``app``: their caches would be made before Streamlit's runtime exists (and say so).
    from shipments.ui import menu, session, sidebar

    st.set_page_config(page_title="Aid shipment ledger", page_icon=":package:", layout="wide")
    editor = session.editor()
    pages, viewing = menu.pages(editor)
    navigation = st.navigation(pages)
    sidebar.draw(editor, filters=navigation in viewing)
    navigation.run()


if __name__ == "__main__":
    main()
else:
    # Only the server's import makes ``app``: a page run, which executes this file as
    # ``__main__``, made it again with its routes and middleware, a twentieth of a new viewer's
    # first page (bench/RESULTS.md, "Many viewers at once").
    app = st.App(
        "dashboard.py",
        routes=routes.routes(),
        middleware=routes.middleware(),
        lifespan=routes.lifespan,
    )
