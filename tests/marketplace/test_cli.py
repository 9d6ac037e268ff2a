"""The ``flask`` command line: the site's own commands plus every area's ``cli.register``."""

from __future__ import annotations

import types

from flask import Flask

from marketplace import cli


def test_site_and_area_commands_are_registered(app):
    assert {"seed-demo", "load-regions", "generate-scale"} <= set(app.cli.commands)


def test_an_area_cli_module_with_register_is_picked_up(monkeypatch):
    """A new area adds commands by having ``marketplace/<area>/cli.py`` with ``register(app)``;
    a ``cli`` module without one (jobs: its commands come with its blueprint) is skipped."""
    seen = []
    fake = types.SimpleNamespace(register=lambda app: seen.append(app))
    real_import = cli.importlib.import_module

    def import_module(name):
        return fake if name == "marketplace.scale.cli" else real_import(name)
    monkeypatch.setattr(cli.importlib, "import_module", import_module)
    target = Flask("probe")
    cli.register_area_commands(target)
    assert seen == [target]
