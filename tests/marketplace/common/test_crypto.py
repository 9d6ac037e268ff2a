"""Personal data at rest: encryption is keyed by the configured secret; masks hide the middle."""

from __future__ import annotations

import pytest
from flask import Flask

from marketplace.common import crypto


def _app(secret: str) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secret, DATA_KEY="")
    return app


def test_round_trip_and_key_separation():
    with _app("first secret").app_context():
        token = crypto.encrypt("430102199001011234")
        assert "430102199001011234" not in token
        assert crypto.decrypt(token) == "430102199001011234"
        first_hash = crypto.keyed_hash("430102199001011234")
    with _app("another secret").app_context():  # the derived keys are cached per secret
        with pytest.raises(RuntimeError, match="cannot be decrypted"):
            crypto.decrypt(token)
        assert crypto.keyed_hash("430102199001011234") != first_hash


def test_masks():
    assert crypto.mask_id_number("43310119850315002X") == "4331**********002X"
    assert crypto.mask_phone("13907430001") == "139****0001"
    assert crypto.mask_phone("") == "" and crypto.mask_id_number(None) == ""
