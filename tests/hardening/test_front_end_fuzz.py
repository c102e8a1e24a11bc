"""A fuzz test of the YAML + expression front end: whatever the input, the answer is a value or a located
MlopsError, never another exception, within a bounded time (hypothesis deadline) and memory (the
address space of this process is capped while the examples run).

Three generators: YAML-ish text (the characters YAML gives meaning to, NUL and non-UTF-8 included), a
small valid pipeline mutated at random (characters dropped, duplicated, inserted), and expressions built
from the grammar (every built-in, nested up to the depth limit, with the functions that grow strings),
also placed inside a pipeline and compiled (expand, normalize, model, graph).
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.errors import MlopsError
from emulator.expressions import BUILTINS, CaseInsensitiveDict, EvalContext, StrictMapping, evaluate_text
from emulator.runner import compile_pipeline
from emulator.yamlio import loads

EXAMPLES = 300
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
HEADROOM = 1 << 30  # what the examples may add to the address space: 1 GB
TEXT_LIMIT = 4096  # the growing expressions' text, not their values

VALID = """\
parameters:
- name: env
  type: string
  default: dev
variables:
  greeting: hello
stages:
- stage: Build
  jobs:
  - job: A
    steps:
    - script: echo ${{ parameters.env }} $(greeting)
      name: s
- stage: Deploy
  dependsOn: Build
  condition: and(succeeded(), eq(variables['greeting'], 'hello'))
  jobs:
  - deployment: Ship
    environment: test
    strategy: {runOnce: {deploy: {steps: [{script: echo deploy}]}}}
"""


@contextmanager
def bounded_memory() -> Iterator[None]:
    """Cap this process's address space at what it uses now plus HEADROOM, for the block."""
    size = int(next(line for line in open("/proc/self/status") if line.startswith("VmSize")).split()[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size * 1024 + HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _answer(run: object) -> None:
    try:
        run()  # type: ignore[operator]
    except MlopsError as exc:
        assert exc.render()  # renders, with or without a location


YAML_CHARS = st.sampled_from(list("abc:-?[]{}&*!|>'\"%@`#,. \n\t\\$()=_0123456789") + ["\x00", "\ufeff", "é"])


@SETTINGS
@given(st.lists(YAML_CHARS, max_size=300).map("".join))
def test_yaml_text(text: str) -> None:
    with bounded_memory():
        _answer(lambda: loads(text, "fuzz.yml"))
        _answer(lambda: loads(text, "fuzz.yml", text_scalars=True))


MUTATION = st.tuples(
    st.sampled_from(["drop", "double", "insert"]),
    st.integers(0, len(VALID) - 1),
    st.sampled_from(list(":-[]{}'\"$ \n\t#&*!|>")),
)


@SETTINGS
@given(st.lists(MUTATION, max_size=6), st.booleans())
def test_mutated_pipelines_compile_or_say_where(
    tmp_path_factory: object, mutations: list[tuple[str, int, str]], as_bytes: bool
) -> None:
    text = VALID
    for kind, at, char in mutations:
        at = min(at, len(text))
        text = {
            "drop": text[:at] + text[at + 1 :],
            "double": text[:at] + text[at : at + 1] * 2 + text[at + 1 :],
            "insert": text[:at] + char + text[at:],
        }[kind]
    folder = Path(tmp_path_factory.mktemp("fuzz"))  # type: ignore[attr-defined]
    path = folder / "pipeline.yml"
    path.write_bytes(text.encode("utf-8") + (b"\xff" if as_bytes else b""))
    with bounded_memory():
        _answer(lambda: compile_pipeline(path, requester="fuzz"))


NAMES = sorted(b.name for b in BUILTINS.values()) + ["nosuch", "counter", "succeeded"]
LITERAL = st.one_of(
    st.sampled_from(
        [
            "'a'",
            "'aa'",
            "''",
            "'{0}{0}{0}'",
            "'x,y'",
            "1",
            "-1.5",
            "1.2.3",
            "true",
            "False",
            "null",
            "'{'",
            "parameters.list",
            "parameters.obj",
            "variables.v",
            "parameters.missing",
            "variables['v']",
            "parameters.obj.k[1]",
            "parameters.list.*",
        ]
    ),
    st.text(alphabet="ab{}0,' ", max_size=8).map(lambda t: "'" + t.replace("'", "''") + "'"),
)


def _call(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(NAMES), st.lists(children, max_size=4)).map(
        lambda call: f"{call[0]}({', '.join(call[1])})"
    )


EXPRESSION = st.recursive(LITERAL, _call, max_leaves=60)
CONTEXT = EvalContext(
    {
        "parameters": StrictMapping({"list": ["p", "q"], "obj": {"k": [1, {"z": None}]}, "env": "dev"}),
        "variables": CaseInsensitiveDict({"v": "1,000", "empty": ""}),
    }
)


@SETTINGS
@given(EXPRESSION)
def test_expressions_from_the_grammar(expression: str) -> None:
    with bounded_memory():
        _answer(lambda: evaluate_text(expression, CONTEXT))


@st.composite
def growing(draw: st.DrawFn) -> str:
    """Nested string growth: replace/format/join applied up to 45 times (2**45 if nothing stopped it).

    `join` writes its operand twice, so it doubles the text as well as the value: past TEXT_LIMIT only
    the others apply, which keeps the values growing from a text of kilobytes (unbounded, one example in
    a few hundred was 17 MB of expression that took minutes and gigabytes only to parse)."""
    expression = "'ab'"
    for _ in range(draw(st.integers(1, 45))):
        choices = [
            f"replace({expression}, 'a', 'aa')",
            f"format('{{0}}{{0}}', {expression})",
            f"convertToJson(split({expression}, ''))",
            f"upper({expression})",
        ]
        if len(expression) < TEXT_LIMIT:
            choices.append(f"join({expression}, split({expression}, 'b'))")
        expression = draw(st.sampled_from(choices))
    return expression


@settings(SETTINGS, max_examples=EXAMPLES // 3)  # each example builds strings of up to 20 MB
@given(growing())
def test_growing_expressions_are_refused_not_built(expression: str) -> None:
    with bounded_memory():
        _answer(lambda: evaluate_text(expression, CONTEXT))


@SETTINGS
@given(EXPRESSION, st.sampled_from(["template", "condition", "runtime"]))
def test_expressions_inside_a_pipeline(tmp_path_factory: object, expression: str, where: str) -> None:
    text = {
        "template": f"steps:\n- script: echo ${{{{ {expression} }}}}\n",
        "condition": f"steps:\n- script: echo hi\n  condition: {expression}\n",
        "runtime": f"jobs:\n- job: J\n  variables:\n    x: $[ {expression} ]\n  steps:\n"
        "  - script: echo $(x)\n",
    }[where]
    folder = Path(tmp_path_factory.mktemp("fuzz"))  # type: ignore[attr-defined]
    (folder / "pipeline.yml").write_text(text)
    with bounded_memory():
        _answer(lambda: compile_pipeline(folder / "pipeline.yml", requester="fuzz"))
