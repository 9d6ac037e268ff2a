"""Background jobs through a real queue (Huey): SQLite storage by default, Redis at scale.

* :mod:`.queue`: the Huey instance, its storage, app-context tasks, enqueue-after-commit;
* :mod:`.progress`: progress and heartbeat writes, detection of runs whose worker died;
* :mod:`.tasks`: ``run_matching(run_id)`` and the every-minute housekeeping;
* :mod:`.cli`: ``flask worker`` (registered by :mod:`.views`' blueprint).
"""
