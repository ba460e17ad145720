"""SQLModel tables and their Create / Public variants, one module per family of entities.

    shipments   sources, shipments, their revisions, the current projection, the seed marker
    claims      claims and their readings
    discrepancies   the life of each claim the ledger does not bear out
    consignments    a sent and a received record of the same cargo, linked to count once
    accounts    editors, sign-in attempts, the audit trail, submitted forms, imported files

Importing this package registers every table on ``SQLModel.metadata`` (Alembic and the tests
rely on that), and names each model once here so callers need not know which family holds it.
"""

from shipments.models.accounts import (
    AuditEvent,
    Editor,
    EditorPublic,
    EditorSession,
    FormSubmission,
    ImportBatch,
    SignInEvent,
    SignInThrottle,
)
from shipments.models.claims import (
    Claim,
    ClaimBase,
    ClaimCreate,
    ClaimPublic,
    ClaimReading,
    ClaimReadingBase,
    ClaimReadingCreate,
    ClaimReadingPublic,
)
from shipments.models.columns import UTCDateTime
from shipments.models.consignments import ConsignmentCreate, ConsignmentLink, ConsignmentPublic
from shipments.models.discrepancies import DiscrepancyEvent, DiscrepancyExplanation
from shipments.models.shipments import (
    CurrentShipment,
    RevisionPublic,
    RevisionSourceLink,
    SeedMarker,
    Shipment,
    ShipmentCorrection,
    ShipmentCreate,
    ShipmentFields,
    ShipmentPublic,
    ShipmentRevision,
    Source,
    SourceBase,
    SourceCreate,
    SourcePublic,
)

__all__ = [
    "AuditEvent",
    "Claim",
    "ClaimBase",
    "ClaimCreate",
    "ClaimPublic",
    "ClaimReading",
    "ClaimReadingBase",
    "ClaimReadingCreate",
    "ClaimReadingPublic",
    "ConsignmentCreate",
    "ConsignmentLink",
    "ConsignmentPublic",
    "CurrentShipment",
    "DiscrepancyEvent",
    "DiscrepancyExplanation",
    "Editor",
    "EditorPublic",
    "EditorSession",
    "FormSubmission",
    "ImportBatch",
    "RevisionPublic",
    "RevisionSourceLink",
    "SeedMarker",
    "Shipment",
    "ShipmentCorrection",
    "ShipmentCreate",
    "ShipmentFields",
    "ShipmentPublic",
    "ShipmentRevision",
    "SignInEvent",
    "SignInThrottle",
    "Source",
    "SourceBase",
    "SourceCreate",
    "SourcePublic",
    "UTCDateTime",
]
