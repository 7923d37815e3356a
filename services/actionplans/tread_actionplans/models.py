"""Every table of the actionplans service, in one place for Alembic."""

from tread_actionplans.base import Base
from tread_actionplans.deviations.models import CorrectiveAction, Deviation
from tread_actionplans.directory.models import AccountDirectory
from tread_actionplans.indicators.models import Indicator, IndicatorPeriod, Measurement
from tread_actionplans.meetings.models import Meeting
from tread_actionplans.objectives.models import Objective
from tread_actionplans.plans.models import Plan
from tread_actionplans.resources.models import ResourceRequest

__all__ = [
    "AccountDirectory",
    "Base",
    "CorrectiveAction",
    "Deviation",
    "Indicator",
    "IndicatorPeriod",
    "Measurement",
    "Meeting",
    "Objective",
    "Plan",
    "ResourceRequest",
]
