"""The form that starts a matching run, and the labels of runs' statuses and stages."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from marketplace.catalog.vocab import CATEGORIES, KIND_LABELS
from marketplace.common.forms import RegionField, choices
from marketplace.runs.models import RunStage, RunStatus
from marketplace.runs.services import MAX_TIME_LIMIT_S

STATUS_LABELS = {
    RunStatus.queued: _l("Waiting for a worker"),
    RunStatus.running: _l("Running"),
    RunStatus.done: _l("Ready for review"),
    RunStatus.failed: _l("Failed"),
    RunStatus.committing: _l("Being approved"),
    # A context: "Committed" alone is a contract budget tied up (已占用), here it is approved.
    RunStatus.committed: lazy_pgettext("run status", "Committed"),
    RunStatus.discarded: _l("Discarded"),
}

STAGE_LABELS = {
    RunStage.building: _l("Building the problem from open needs and offers"),
    RunStage.solving: _l("Optimising"),
    RunStage.storing: _l("Storing the proposal"),
    RunStage.committing: _l("Creating the allocations, each re-checked"),
}


class RunForm(FlaskForm):
    region_code = RegionField(_l("Region"))
    kinds = SelectMultipleField(
        _l("Kinds of help"), choices=choices(KIND_LABELS.items()),
        description=_l("None chosen: all kinds."))
    categories = SelectMultipleField(
        _l("Categories"), choices=choices(CATEGORIES.items()),
        description=_l("None chosen: all categories."))
    coverage_slack = DecimalField(
        _l("Coverage slack"), default=Decimal("0.01"), places=3,
        validators=[InputRequired(), NumberRange(min=0, max=1)],
        description=_l("How much coverage (0–1) the optimiser may give up for balance and "
                       "lower cost: 0.01 keeps within one per cent of the best coverage."))
    balance = BooleanField(_l("Balance between counties"), default=True)
    time_limit_s = IntegerField(
        _l("Time limit (seconds)"), default=30,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_TIME_LIMIT_S)])
    submit = SubmitField(_l("Start the run"))
