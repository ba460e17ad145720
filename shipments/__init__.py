"""Aid-shipment ledger: append-only records of deliveries, their sources, and what was claimed."""

__version__ = "0.1.0"
