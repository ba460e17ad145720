"""Data in and out of the ledger: CSV and HXL exports, imports of files, reports."""
