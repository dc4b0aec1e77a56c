"""Valid inputs to start from; each test changes only what it is about."""

from __future__ import annotations

import io
from typing import Any

from tests import sample_files


def profile(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Post-event face search",
        "version": "4.2",
        "vendor": "Acme Biometrics",
        "purpose": "Identify suspects from lawfully obtained images after an offence.",
        "authorised_use_cases": ["Serious crime investigations"],
        "development_approach": "off_the_shelf",
        "lifecycle_stage": "testing",
        "risk_level": "high",
        "processes_personal_data": True,
        "purpose_type": "law_enforcement",
        "biometric_identification": "post_event",
        "ai_act_roles": ["deployer"],
        "annex_iii_areas": ["biometrics"],
        "public_facing": False,
        "units_with_access": ["Forensic imaging unit"],
        "data_sharing": "No sharing outside the agency.",
        "contacts": [
            {"name": "Ana Duarte", "email": "ana.duarte@police.example", "role": "system owner"}
        ],
    }
    data.update(overrides)
    return data


def upload_form(
    system_ids: list[int] | None = None,
    files: list[tuple[bytes, str]] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    """A multipart body for POST /api/evidence."""
    form: dict[str, Any] = {
        "kind": "impact_assessment",
        "title": "DPIA 2026",
        "issuer": "DPO office",
        "valid_from": "2026-01-01",
        "valid_until": "2027-01-01",
    }
    form.update(metadata)
    if system_ids is not None:
        form["system_ids"] = [str(i) for i in system_ids]
    if files is None:
        files = [(sample_files.pdf(), "dpia.pdf")]
    form["files"] = [(io.BytesIO(data), name) for data, name in files]
    return form
