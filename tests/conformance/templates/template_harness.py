"""The row type of the template conformance tables and the code that runs one row.

A row is a small repository: the pipeline (`azure-pipelines.yml` unless `main` says otherwise),
template files, runtime parameters and `--repo` folders; and one expectation - the expanded
document (`expanded`, compared before normalization), the service-shaped document (`final`, after
`emulator.normalize.normalize`), the steps of its only job (`steps`, after normalization), or an
error (`error` fragment, plus `at` = (file, line, col) when the location is part of the fact).
Every row cites where the behaviour comes from (`cite`): a docs page, a semantics-notes section, or
a measured claim ([PG C-E03-...], [RS test-name]).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import MlopsError
from emulator.normalize import final_yaml, normalize
from emulator.templates import expand_pipeline
from emulator.yamlio import loads, plain


@dataclass(frozen=True)
class Case:
    id: str
    cite: str
    files: dict[str, str]
    expanded: str | None = None
    final: str | None = None
    steps: str | None = None
    service: str | None = None  # final_yaml(): the service's own spelling
    error: str | None = None
    at: tuple[str, int, int] | tuple[str, int] | None = None
    params: dict[str, str] = field(default_factory=dict)
    repos: dict[str, str] = field(default_factory=dict)  # alias -> folder inside the case tree
    main: str = "azure-pipelines.yml"
    predefined: dict[str, str] = field(default_factory=dict)


def case(id: str, cite: str, pipeline: str, **kw: Any) -> Case:
    """A row whose pipeline is `pipeline`; `files=` adds template files."""
    files = {kw.pop("main", "azure-pipelines.yml"): pipeline, **kw.pop("files", {})}
    main = next(iter(files))
    return Case(
        id=id,
        cite=cite,
        files={k: textwrap.dedent(v).lstrip("\n") for k, v in files.items()},
        main=main,
        **kw,
    )


def canon(value: Any) -> Any:
    """Values as text, the way the final YAML reads: booleans `True`/`False`, numbers their String
    form, null ''. Keys as they are."""
    value = plain(value)
    if isinstance(value, dict):
        return {str(k): canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canon(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def expected(text: str) -> Any:
    return canon(loads(textwrap.dedent(text), "<expected>", text_scalars=True))


def write(row: Case, root: Path) -> Path:
    for name, text in row.files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root / row.main


def run(row: Case, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    pipeline = write(row, root)
    repos = {alias: root / folder for alias, folder in row.repos.items()}
    try:
        result = expand_pipeline(pipeline, row.params, repos, row.predefined, repo_root=root)
        document = normalize(result.document)
    except MlopsError as err:
        if row.error is None:
            raise AssertionError(f"[{row.cite}] unexpected error:\n{err.render()}") from None
        assert row.error in err.message, f"[{row.cite}] {err.message!r} does not contain {row.error!r}"
        if row.at is not None:
            assert err.location is not None, f"[{row.cite}] no location"
            where = (err.location.file.replace("\\", "/"), err.location.line, err.location.col)
            assert where[0].endswith(row.at[0]), f"[{row.cite}] error in {where[0]}, expected {row.at[0]}"
            assert where[1] == row.at[1], f"[{row.cite}] error at line {where[1]}, expected {row.at[1]}"
            if len(row.at) == 3:
                assert where[2] == row.at[2], f"[{row.cite}] error at col {where[2]}, expected {row.at[2]}"
        return
    if row.error is not None:
        raise AssertionError(f"[{row.cite}] expected an error containing {row.error!r}, got a pipeline")
    if row.expanded is not None:
        assert canon(result.document) == expected(row.expanded), f"[{row.cite}]"
    if row.final is not None:
        assert canon(document) == expected(row.final), f"[{row.cite}]"
    if row.steps is not None:
        assert document is not None
        jobs = [j for s in document["stages"] for j in s["jobs"]]
        assert len(jobs) == 1, f"[{row.cite}] expected one job"
        assert canon(jobs[0].get("steps") or []) == expected(row.steps), f"[{row.cite}]"
    if row.service is not None:
        assert document is not None
        assert canon(final_yaml(document)) == expected(row.service), f"[{row.cite}]"
