"""What the dashboard serves beside its pages, on the same server (Streamlit's ``st.App``).

    routes      the routes ``dashboard.py`` hands to ``st.App``
    readiness   /ready: 200 when the ledger can be read at the latest schema, else 503
    headers     security headers on every response
    auth        the session cookie, sign-in and sign-out, the caller's address
    data        /data/*: the Downloads page's files at stable URLs, streamed, revalidated
    streaming   a library writer's file sent as it is written, in a thread of its own

Nothing here imports the pages (``shipments.ui``), nor they this: both stand on the library.
"""
