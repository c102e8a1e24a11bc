"""Small engine pieces: the lenient JSON of dynamic matrices, default parallelism, minute length."""

from __future__ import annotations

import pytest

from emulator.runtime.json_net import lenient_json
from emulator.runtime.options import default_minute_seconds, default_parallel


def test_lenient_json_accepts_single_quotes() -> None:
    legs = {"a": {"myvar": "A"}, "b": {"myvar": "B"}}
    assert lenient_json("{'a':{'myvar':'A'}, 'b':{'myvar':'B'}}") == legs
    assert lenient_json('{"x": "it\'s"}') == {"x": "it's"}
    assert lenient_json("{'q': 'say \"hi\"'}") == {"q": 'say "hi"'}
    with pytest.raises(ValueError):
        lenient_json("{not json")


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_parallel() >= 1
    monkeypatch.delenv("MLOPS_INTERNAL_MINUTE_SECONDS", raising=False)
    assert default_minute_seconds() == 60.0
    monkeypatch.setenv("MLOPS_INTERNAL_MINUTE_SECONDS", "0.5")
    assert default_minute_seconds() == 0.5
    monkeypatch.setenv("MLOPS_INTERNAL_MINUTE_SECONDS", "nonsense")
    assert default_minute_seconds() == 60.0
