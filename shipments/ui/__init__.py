"""The dashboard's pages and what they share; the only package that imports streamlit.

One module per page, named for its URL, holding one page function that dashboard.py registers
with st.Page: overview (/), ledger, claims, downloads, sign_in (/sign-in), and for editors edit,
import_file (/import) and audit. Beside them: view (what the viewer asked to see), sidebar (the
filters), data (cached reads), session (the signed-in editor), common (the page wrapper and
safe text), words (what several pages say), and charts and placement, which draw the figures
and place claims on them without streamlit.
"""
