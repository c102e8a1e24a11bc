"""The Jinja2 environment of the reports: templates shipped in the package (emulator/report/templates).

Autoescape is on for every template: the pages show what users wrote (step names, logs, parameters,
approval comments), and a value is only ever markup when Python says so (`markupsafe.Markup`).
An undefined name is an error, not an empty string, so a template cannot drift from its data silently.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def _number(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("emulator.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = _number  # metrics: 4 significant digits
    env.filters["px"] = lambda value: f"{value:.1f}"  # SVG coordinates
    return env


def render(template: str, **context: Any) -> str:
    """`template` (a name under templates/) rendered with `context`."""
    return _environment().get_template(template).render(**context)
