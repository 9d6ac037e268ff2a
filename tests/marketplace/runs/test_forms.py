"""Every run status and stage has a label (the run page and progress.json show them)."""

from __future__ import annotations

from marketplace.runs.forms import STAGE_LABELS, STATUS_LABELS
from marketplace.runs.models import RunStage, RunStatus


def test_every_status_and_stage_has_a_label():
    assert set(STATUS_LABELS) == set(RunStatus)
    assert set(STAGE_LABELS) == set(RunStage)
