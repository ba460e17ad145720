"""What more than one page says, in one place, so the pages (and the tests) say it alike."""

EMPTY_LEDGER = (
    "The ledger holds no shipments yet. An editor records the first one on the Edit page (Sign"
    " in, then Edit), or imports a file on the Import page; on the command line:"
    " `python -m shipments add ...` or `python -m shipments import FILE` (see the README)."
)
NO_MATCH = "No shipments match these filters. Widen the dates or clear a filter in the sidebar."
DATABASE_ERROR = (
    "The ledger database cannot be opened. Check LEDGER_DATABASE_URL and that the database "
    "server is running, then reload the page."
)
SIGN_IN_FIRST = (
    "Sign in as an editor to open this page: Sign in is in the menu. (A session ends at sign-out"
    " and after a while unused.)"
)
