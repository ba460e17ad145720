"""The sign-in form as HTML, styled: one form for the dashboard's Sign in page and for the
sign-in route's own page (which answers a refused attempt).

No Streamlit here: the page passes the theme's colour, the route Streamlit's default. Every value
put into the markup is escaped, or a constant, or a checked colour.
"""

from __future__ import annotations

import html
import re

SIGN_IN_ROUTE = "/auth/sign-in"
AFTER_SIGN_IN = "/edit"
STREAMLIT_PRIMARY = "#ff4b4b"
_COLOUR = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?")

FORM_STYLE = """
.ledger-sign-in { max-width: 28rem; }
.ledger-sign-in label { display: block; margin: 0 0 1rem; font-size: 0.875rem; }
.ledger-sign-in input {
  display: block; box-sizing: border-box; width: 100%; margin-top: 0.25rem;
  padding: 0.5rem 0.75rem; font: inherit; font-size: 1rem; color: inherit;
  background: #f0f2f6; border: 1px solid transparent; border-radius: 0.5rem;
}
.ledger-sign-in input:focus { outline: none; border-color: PRIMARY; }
.ledger-sign-in button {
  padding: 0.5rem 1rem; font: inherit; color: #fff; background: PRIMARY;
  border: 1px solid PRIMARY; border-radius: 0.5rem; cursor: pointer;
}
.ledger-sign-in button:hover { filter: brightness(0.9); }
.ledger-sign-in .problem {
  margin: 0 0 1rem; padding: 0.75rem 1rem; border-radius: 0.5rem;
  color: #7d353b; background: #ffecec;
}
"""

# The route's own page: the form on a plain page that looks like the dashboard's.
PAGE_STYLE = """
body {
  margin: 0; padding: 4rem 1rem; font-family: "Source Sans Pro", "Source Sans 3", system-ui,
  -apple-system, "Segoe UI", sans-serif; color: #31333f; background: #fff;
}
main { max-width: 28rem; margin: 0 auto; }
h1 { font-size: 2.75rem; font-weight: 700; margin: 0 0 1rem; }
a { color: inherit; }
"""


def checked_colour(colour: object) -> str:
    """Return ``colour`` when it is a hex colour, else Streamlit's own primary colour."""
    if isinstance(colour, str) and _COLOUR.fullmatch(colour.strip()):
        return colour.strip()
    return STREAMLIT_PRIMARY


def form_html(
    *,
    next_path: str = AFTER_SIGN_IN,
    problem: str | None = None,
    name: str = "",
    colour: str = STREAMLIT_PRIMARY,
) -> str:
    """Return the sign-in form with its style, ``name`` typed in again after a refusal;
    ``next_path`` must already be a local path."""
    typed = f' value="{html.escape(name[:200], quote=True)}"' if name else ""
    said = f'<p role="alert" class="problem">{html.escape(problem)}</p>' if problem else ""
    return (
        f"<style>{FORM_STYLE.replace('PRIMARY', checked_colour(colour))}</style>"
        f'<form method="post" action="{SIGN_IN_ROUTE}" class="ledger-sign-in">{said}'
        f'<label>Name<input name="username" autocomplete="username" required{typed}></label>'
        '<label>Password<input name="password" type="password"'
        ' autocomplete="current-password" required></label>'
        f'<input type="hidden" name="next" value="{html.escape(next_path, quote=True)}">'
        '<button type="submit">Sign in</button></form>'
    )


def page_html(body: str) -> str:
    """Return a whole page around ``body`` (already HTML), styled like the dashboard."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Sign in · Aid shipment ledger</title><style>{PAGE_STYLE}</style></head>"
        f'<body><main><h1>Sign in</h1>{body}<p><a href="/">Back to the ledger</a></p></main>'
        "</body></html>"
    )
