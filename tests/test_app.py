"""The WSGI entry point (app.py) builds the app and freezes what start-up allocated, so the
garbage collector does not walk it again during requests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_app_module_serves_the_app_with_start_up_objects_frozen(tmp_path):
    env = {**os.environ, "NUANXIN_ENV": "development",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'entry.db'}"}
    probe = ("import gc, app; print(type(app.app).__name__, gc.get_freeze_count() > 10000)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, text=True,
                         capture_output=True, timeout=120, check=True).stdout.split()
    assert out == ["Flask", "True"]
