"""The snapshot's pages as HTML, every piece of ledger text inert.

The dashboard's rules, for HTML: text is escaped (``&``, ``<``, ``>`` and both quotes), so it
shows as typed and never as markup; a link is made only of an ``http(s)`` address
(``shipments.rules.clean_url``), any other is shown as text. The charts' hover labels are the
dashboard's, escaped for plotly's subset of HTML (``shipments.ui.markers``). No page holds a
script of its own: each chart's figure is a JSON data block (plotly's JSON escapes ``<``, ``>``
and ``/``, so nothing in it ends the block), drawn by ``snapshot.js`` with plotly.js, both files
of the snapshot; the Content-Security-Policy lets only those run, so even a script that got
into a page would not.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import plotly.io as pio
from plotly.graph_objects import Figure

from shipments.reconcile import CONSISTENT, INCONSISTENT, NO_DATA, ClaimResult
from shipments.rules import clean_url
from shipments.ui.bars import bar_caption
from shipments.ui.charts import CHART_CONFIG, CHART_TITLES, VERDICT_COLOURS, marker_caption
from shipments.units import kg_to_tonnes

from .pages import NamedPage, PageView

PLOTLY_JS = "plotly.min.js"
LOADER_JS = "snapshot.js"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
LOADER = """// Draws each chart of the page from its JSON data block, with plotly.js.
document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (block) {
  var chart = JSON.parse(block.textContent);
  var target = document.getElementById(block.getAttribute('data-chart'));
  Plotly.newPlot(target, chart.figure.data, chart.figure.layout, chart.config);
});
"""
STYLE = """body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem;
color:#222;line-height:1.4}a{color:#1f6f8b}.caption{color:#555;font-size:.9rem}
.metrics{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:1rem}
.metric .label{font-size:.9rem;color:#555}.metric .value{font-size:1.8rem}
.chart{min-height:450px}table{border-collapse:collapse;margin:.5rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.claim{border:1px solid #ddd;border-radius:.4rem;margin:1rem 0;padding:.2rem 1rem}
blockquote{border-left:3px solid #bbb;margin:.5rem 0;padding-left:1rem;white-space:pre-wrap}
.verdict{font-weight:600}nav a{margin-right:1rem}
@media (max-width:700px){table{display:block;overflow-x:auto}.metric .value{font-size:1.4rem}}"""
STATIC = (
    "This is a static snapshot: hover over a marker or a bar for its figures (a click does"
    " nothing here). Every claim is listed in full under Claims, every shipment is in the data"
    " files."
)


@dataclass(frozen=True)
class Cut:
    """When a snapshot was cut and from which ledger version (its latest write's id and time)."""

    at: datetime
    version: int
    written: datetime | None
    software: str
    schema: str | None
    moved_to: int | None = None  # the version at the end, when a write came in meanwhile

    def sentence(self) -> str:
        """Say, as plain text, when the snapshot was cut and from what."""
        written = f", latest write at {utc(self.written)}" if self.written else ", no writes"
        said = f"Cut at {utc(self.at)} from ledger version {self.version}{written}."
        if self.moved_to is not None:
            said += (
                f" The ledger was written to while the snapshot was cut (version {self.version}"
                f" to {self.moved_to}): figures may mix the two; publish again for one version."
            )
        return said


@dataclass(frozen=True)
class DataFile:
    """A file of the snapshot's data, listed on the index."""

    path: str
    label: str
    size: int


def text(value: object) -> str:
    """Escape text for HTML, as content or as an attribute's value: it shows as typed."""
    return html.escape(str(value), quote=True)


def link(url: str, label: str | None = None) -> str:
    """Link an http(s) address (``label``, else the address, as text); show any other as text."""
    shown = text(url if label is None else label)
    try:
        address = clean_url(url)
    except ValueError:
        return shown
    return f'<a href="{text(address)}" rel="nofollow noopener noreferrer">{shown}</a>'


def utc(moment: datetime) -> str:
    """Write a moment to the second in UTC, as the dashboard does (a naive one is UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def document(*, title: str, root: str, body: Iterable[str], cut: Cut) -> str:
    """Return a whole page: ``root`` leads from it to the snapshot's top folder."""
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">',
            f"<title>{text(title)}</title><style>{STYLE}</style>",
            f'<script src="{root}{PLOTLY_JS}" charset="utf-8" defer></script>',
            f'<script src="{root}{LOADER_JS}" defer></script>',
            "</head><body>",
            f'<nav><a href="{root}index.html">Overview</a>'
            f'<a href="{root}index.html#claims">Claims</a>'
            f'<a href="{root}index.html#data">Data files</a>'
            f'<a href="{root}index.html#about">About this snapshot</a></nav>',
            f'<main><p class="caption">A static snapshot. {text(cut.sentence())}</p>',
            *body,
            "</main></body></html>",
            "",
        ]
    )


def overview(view: PageView, *, describe: str) -> list[str]:
    """Return a view's headline figures and charts, as the Overview shows them."""
    totals = view.totals
    parts = [f"<h1>{text(view.title)}</h1>", f'<p class="caption">{text(describe)}</p>']
    if not totals.records:
        return [*parts, "<p>The ledger holds no shipments in this view.</p>"]
    inside = view.claims
    metrics = (
        ("Total delivered", f"{kg_to_tonnes(totals.mass_kg):,.3f} t"),
        ("Deliveries", f"{totals.shipments:,}"),
        ("Latest delivery", totals.latest_event.isoformat() if totals.latest_event else ""),
        (
            "Claims consistent / inconsistent",
            f"{inside.count(CONSISTENT)} / {inside.count(INCONSISTENT)}",
        ),
    )
    parts.append('<div class="metrics">')
    for label, value in metrics:
        parts.append(
            f'<div class="metric"><div class="label">{text(label)}</div>'
            f'<div class="value">{text(value)}</div></div>'
        )
    parts.append("</div>")
    if (folded := totals.records - totals.shipments) > 0:
        parts.append(
            f'<p class="caption">{folded:,} consignment(s) recorded both when sent and when'
            " received count once, by the sent record.</p>"
        )
    figures = view.figures
    assert figures is not None
    parts.append(f'<p class="caption">{text(no_clicks(marker_caption()))} {text(STATIC)}</p>')
    charts: list[tuple[str, Figure | None, str]] = [
        ("running", figures.running, ""),
        ("bars", figures.bars, bar_caption(figures.bar_period, figures.span_days)),
        ("periods", figures.periods, ""),
    ]
    for name, figure, caption in charts:
        if figure is None:
            continue
        parts.append(f"<h2>{text(CHART_TITLES[name])}</h2>")
        if caption := no_clicks(caption):
            parts.append(f'<p class="caption">{text(caption)}</p>')
        parts.append(chart(figure, f"chart-{name}"))
    return parts


def no_clicks(caption: str) -> str:
    """Return a dashboard caption without what it says to click: a click opens nothing here.

    Sentences that start "Hover" or "Click" go (the hover of the dashboard's words is about
    what a click shows too), and so does a "; click ..." clause.
    """
    sentences = re.split(r"(?<=\.)\s+", caption.strip())
    kept = [
        re.sub(r";\s*click\b[^.;]*", "", sentence)
        for sentence in sentences
        if not re.match(r"(Hover|Click)\b", sentence)
    ]
    return " ".join(s for s in kept if s)


def chart(figure: Figure, element_id: str) -> str:
    """Return a chart's place and its figure as a JSON data block (drawn by ``LOADER_JS``)."""
    data = pio.to_json(figure, validate=False)  # "<", ">" and "/" written as \\u escapes
    config = json.dumps({**CHART_CONFIG, "responsive": True}).replace("<", "\\u003c")
    return (
        f'<div class="chart" id="{text(element_id)}"></div>'
        f'<script type="application/json" data-chart="{text(element_id)}">'
        f'{{"config":{config},"figure":{data}}}</script>'
    )


def claims(items: Sequence[ClaimResult], *, total: int) -> list[str]:
    """Return the claims: their verdicts in a table, then each in full with its quote."""
    parts = ['<h2 id="claims">Claims against the ledger</h2>']
    if not items:
        return [*parts, "<p>No claim has a reading inside this view.</p>"]
    parts.append(
        f'<p class="caption">{len(items)} of {total} claims have a reading inside this view. Each'
        " is checked against the whole ledger; a claim is consistent when at least one reading"
        " of its scope is.</p>"
    )
    counts = ", ".join(
        f"{verdict}: {sum(1 for i in items if i.verdict == verdict)}"
        for verdict in (CONSISTENT, INCONSISTENT, NO_DATA)
    )
    parts.append(f"<p>{text(counts)}</p>")
    parts.append(
        "<table><thead><tr><th>Claim</th><th>Claimant</th><th>Stated on</th><th>Claimed</th>"
        "<th>Verdict</th><th>Quote</th></tr></thead><tbody>"
    )
    for item in items:
        claim = item.claim
        parts.append(
            f'<tr><td><a href="#claim-{int(claim.id)}">{int(claim.id)}</a></td>'
            f"<td>{text(claim.claimant)}</td><td>{text(_stated(item))}</td>"
            f"<td>{text(_claimed(item))}</td><td>{verdict(item.verdict)}</td>"
            f"<td>{text(claim.quote)}</td></tr>"
        )
    parts.append("</tbody></table>")
    parts.extend(claim_card(item) for item in items)
    return parts


def claim_card(item: ClaimResult) -> str:
    """Return one claim in full: readings with the ledger's figures, quote, source, note."""
    claim, unit = item.claim, item.claim.unit
    rows = "".join(
        f"<tr><td>{text(r.description)}</td>"
        f"<td>{text('' if r.ledger_value is None else f'{r.ledger_value:,} {unit}')}</td>"
        f"<td>{text('' if r.difference is None else f'{r.difference:+,} {unit}')}</td>"
        f"<td>{verdict(r.verdict)}</td></tr>"
        for r in item.readings
    )
    source = claim.source
    return (
        f'<section class="claim" id="claim-{int(claim.id)}">'
        f"<h3>Claim {int(claim.id)}: {text(claim.claimant)}, {text(_stated(item))}: "
        f"{verdict(item.verdict)}</h3><p>Claimed: {text(_claimed(item))}</p>"
        "<table><thead><tr><th>Reading of its scope</th><th>Ledger figure</th>"
        f"<th>Difference</th><th>Reading verdict</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<blockquote>{text(claim.quote)}</blockquote>"
        f'<p class="caption">{text(f"{source.publisher}: {source.title}")}</p>'
        f"<p>Source: {link(source.url)}</p>"
        + (f'<p class="caption">{text(claim.note)}</p>' if claim.note else "")
        + "</section>"
    )


def verdict(word: str) -> str:
    """Show a verdict in its chart colour."""
    colour = VERDICT_COLOURS.get(word, "#757575")
    return f'<span class="verdict" style="color:{colour}">{text(word)}</span>'


def named_lists(pages: Sequence[NamedPage], *, heading: str, limit: int) -> list[str]:
    """Return the list of donors (or recipients), each linked to its page where it has one."""
    parts = [f"<h2>{text(heading)}</h2><ul>"]
    parts.extend(f'<li><a href="{text(p.path)}">{text(p.name)}</a></li>' for p in pages if p.path)
    parts.append("</ul>")
    left = [p.name for p in pages if p.path is None]
    if left:
        parts.append(
            f"<p>{len(left):,} more have no page of their own: a snapshot pre-renders at most"
            f" {limit} per list (the first in alphabetical order). Their shipments are in the"
            " data files; the dashboard's filters show any of them. Without a page:</p>"
            f'<p class="caption">{text("; ".join(left))}</p>'
        )
    return parts


def data_files(files: Sequence[DataFile]) -> list[str]:
    """Return the list of the snapshot's data files, each linked, with its size."""
    parts = [
        '<h2 id="data">Data files</h2>',
        '<p class="caption">The whole ledger as it stood when the snapshot was cut: the'
        " shipments with their Data Package descriptor (columns, rows, total kilograms,"
        " SHA-256; <code>python -m shipments verify</code> checks it), the reconciliation, the"
        " claims and the sources, each as CSV and as HXL-tagged CSV.</p><ul>",
    ]
    parts.extend(
        f'<li><a href="{text(f.path)}">{text(f.label)}</a> ({f.size:,} bytes)</li>' for f in files
    )
    parts.append("</ul>")
    return parts


def about(cut: Cut, *, dashboard: str | None) -> list[str]:
    """Return the section that says when the snapshot was cut, from what, and where it lives."""
    parts = [
        '<h2 id="about">About this snapshot</h2>',
        f"<p>{text(cut.sentence())}</p>",
        f'<p class="caption">Software {text(cut.software)}, schema {text(cut.schema or "")}.'
        " The figures are the ledger's as they stood then; corrections since are not in it.</p>",
    ]
    if dashboard:
        parts.append(f"<p>The live dashboard: {link(dashboard)}</p>")
    return parts


def _stated(item: ClaimResult) -> str:
    stated = item.claim.stated_on
    return stated.isoformat() if stated else "date not stated"


def _claimed(item: ClaimResult) -> str:
    claim = item.claim
    return f"{claim.value} {claim.unit} ({claim.qualifier.replace('_', ' ')})"
