"""A static snapshot of what a viewer sees, for any static host: ``python -m shipments publish``.

``snapshot`` cuts it (the Overview's figures and charts, the claims with their verdicts and
quotes, a page per donor and per recipient, the data files with their Data Package descriptor,
and when and from which ledger version it was cut); ``pages`` gathers what each page shows and
``html`` writes it as inert text; ``folder`` writes the whole into a temporary folder and swaps
it in, so a host never serves half a snapshot; ``address`` reads where the latest one is
served, for the dashboard to link to. Nothing here imports streamlit: the charts come from the
dashboard's own figure builders (``shipments.ui.charts``), which do not either.
"""
