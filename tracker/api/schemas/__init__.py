"""Marshmallow schemas for API input arguments and output documents, one module per resource.

Profile and evidence-metadata input rules live in the core (``tracker.profile``,
``tracker.evidence_items``) and are reused here, so the API documents exactly
the rules the core enforces.

Every schema is re-exported here, so ``from tracker.api.schemas import SystemOut`` keeps
working; the OpenAPI document names each schema by its class, whichever module holds it.
"""

from __future__ import annotations

from tracker.api.schemas.accounts import (
    IssuedTokenOut,
    TokenFilters,
    TokenIn,
    TokenOut,
    UserFilters,
    UserIn,
    UserOut,
)
from tracker.api.schemas.audit import AuditEventOut, AuditFilters, ChainReportOut
from tracker.api.schemas.catalogue import (
    CitationOut,
    FactOut,
    JurisdictionOut,
    PluginOut,
    QuestionOut,
    RequirementFilters,
    RequirementOut,
)
from tracker.api.schemas.completeness import (
    AsOfArgs,
    CompletenessOut,
    CompletenessSummaryOut,
    EventDutyOut,
    EvidenceRefOut,
    ItemStatusOut,
    OperatorStatusOut,
    PortfolioArgs,
    ScoreOut,
)
from tracker.api.schemas.events import EventIn, EventKindOut, EventOut
from tracker.api.schemas.evidence import (
    FILES,
    EvidenceFilters,
    EvidenceOut,
    EvidenceUploadForm,
    EvidenceVersionForm,
    FileOut,
)
from tracker.api.schemas.notifications import (
    NotificationFilters,
    NotificationOut,
    PreferenceIn,
    PreferenceOut,
)
from tracker.api.schemas.reviews import ReviewIn, ReviewOut
from tracker.api.schemas.systems import (
    OperatorFilters,
    OperatorOut,
    OperatorPatch,
    RetireIn,
    SystemFilters,
    SystemOut,
    SystemPatch,
)
from tracker.api.schemas.waivers import WaiverDecisionIn, WaiverFilters, WaiverIn, WaiverOut

__all__ = [
    "FILES",
    "AsOfArgs",
    "AuditEventOut",
    "AuditFilters",
    "ChainReportOut",
    "CitationOut",
    "CompletenessOut",
    "CompletenessSummaryOut",
    "EventDutyOut",
    "EventIn",
    "EventKindOut",
    "EventOut",
    "EvidenceFilters",
    "EvidenceOut",
    "EvidenceRefOut",
    "EvidenceUploadForm",
    "EvidenceVersionForm",
    "FactOut",
    "FileOut",
    "IssuedTokenOut",
    "ItemStatusOut",
    "JurisdictionOut",
    "NotificationFilters",
    "NotificationOut",
    "OperatorFilters",
    "OperatorOut",
    "OperatorPatch",
    "OperatorStatusOut",
    "PluginOut",
    "PortfolioArgs",
    "PreferenceIn",
    "PreferenceOut",
    "QuestionOut",
    "RequirementFilters",
    "RequirementOut",
    "RetireIn",
    "ReviewIn",
    "ReviewOut",
    "ScoreOut",
    "SystemFilters",
    "SystemOut",
    "SystemPatch",
    "TokenFilters",
    "TokenIn",
    "TokenOut",
    "UserFilters",
    "UserIn",
    "UserOut",
    "WaiverDecisionIn",
    "WaiverFilters",
    "WaiverIn",
    "WaiverOut",
]
