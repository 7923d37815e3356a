from __future__ import annotations

from tread_contracts.programs.models import ProgramVersion
from tread_shared.events.payloads.contracts import ProgramPublished, TierTerms


def program_published(version: ProgramVersion) -> ProgramPublished:
    return ProgramPublished(
        program_id=version.program_id,
        name=version.name,
        description=version.description,
        program_version=version.number,
        tiers=[TierTerms.model_validate(tier) for tier in version.tiers],
        published_at=version.published_at,
        published_by=version.published_by,
    )
