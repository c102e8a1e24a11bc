"""Build the model of a pipeline written inline (normalized as the runner does)."""

from __future__ import annotations

import textwrap

from emulator.model import Pipeline, build
from emulator.normalize import normalize
from emulator.yamlio import loads


def model(text: str) -> Pipeline:
    return build(normalize(loads(textwrap.dedent(text), "pipeline.yml")))
