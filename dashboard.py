"""Streamlit entry point: the server (``st.App``: its routes and middleware) and the pages.

``streamlit run dashboard.py`` finds ``app`` and serves it (uvicorn serves it too:
``uvicorn dashboard:app``): the pages, and beside them the routes of ``shipments.web``. Each
page run executes this file as ``__main__``; the navigation below runs only then, not when a
server imports the file for ``app``.

Viewers see the four read-only pages and "Sign in"; a signed-in editor also sees "Edit",
"Import" and "Audit" and a sign-out button. Pages not in the navigation cannot be opened by URL.
The sidebar's filters show on the four read-only pages only, the ones they act on.
"""

import streamlit as st

from shipments.web import routes

app = st.App(
    "dashboard.py",
    routes=routes.routes(),
    middleware=routes.middleware(),
    lifespan=routes.lifespan,
)


def main() -> None:
    """Set up the page and run the one the navigation picks."""
    # The pages are imported here, in the page run, not when a server imports this file for
    # ``app``: their caches would be made before Streamlit's runtime exists (and say so).
    from shipments.ui import session, sidebar
    from shipments.ui.audit import audit
    from shipments.ui.claims import claims
    from shipments.ui.downloads import downloads
    from shipments.ui.edit import edit
    from shipments.ui.import_file import import_file
    from shipments.ui.ledger import ledger
    from shipments.ui.overview import overview
    from shipments.ui.sign_in import sign_in

    st.set_page_config(page_title="Aid shipment ledger", page_icon=":package:", layout="wide")
    editor = session.editor()
    # A page made from a function takes its URL from the function's name unless given one.
    # These four read the sidebar's filters; the others have none to show.
    viewing = [
        st.Page(overview, title="Overview", default=True),
        st.Page(ledger, title="Ledger", url_path="ledger"),
        st.Page(claims, title="Claims", url_path="claims"),
        st.Page(downloads, title="Downloads", url_path="downloads"),
    ]
    pages = list(viewing)
    if editor is None:
        pages.append(st.Page(sign_in, title="Sign in", url_path="sign-in"))
    else:
        pages.append(st.Page(edit, title="Edit", url_path="edit"))
        pages.append(st.Page(import_file, title="Import", url_path="import"))
        pages.append(st.Page(audit, title="Audit", url_path="audit"))
    navigation = st.navigation(pages)
    sidebar.draw(editor, filters=navigation in viewing)
    navigation.run()


if __name__ == "__main__":
    main()
