"""WSGI entry point: ``gunicorn app:app`` or ``flask --app app run``."""

import gc

from marketplace import create_app

app = create_app()

# What exists now (modules, the app, SQLAlchemy's mappers, the catalogues) lives as long as the
# process: move it out of the cyclic garbage collector's sight, so that the collections that
# requests trigger walk only what requests allocate (about a tenth of a household page's CPU,
# docs/benchmarks.md).
gc.freeze()
