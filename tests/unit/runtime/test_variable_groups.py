"""variable-groups.yml: schema, values kept as written, secrets, `env:` values, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.errors import ConfigError, Location, RunError
from emulator.runtime import variable_groups as groups


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / groups.FILE_NAME
    path.write_text(text)
    return path


def test_values_stay_text_and_secrets_are_marked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "from-env")
    loaded = groups.load(
        _file(
            tmp_path,
            """
variableGroups:
  Shared:
    description: credentials
    variables:
      postfix: 0001
      flag: true
      empty:
      key: {value: s3cret, secret: true}
      token: {env: MY_TOKEN, secret: true}
""",
        )
    )
    group = loaded.get("shared")
    assert group is not None and group.name == "Shared" and group.description == "credentials"
    assert loaded.values(group) == [
        ("postfix", "0001", False),
        ("flag", "true", False),
        ("empty", "", False),
        ("key", "s3cret", True),
        ("token", "from-env", True),
    ]


def test_an_env_value_that_is_not_set_names_variable_group_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_SET_HERE", raising=False)
    text = "variableGroups:\n  g:\n    variables:\n      x: {env: NOT_SET_HERE}\n"
    loaded = groups.load(_file(tmp_path, text))
    config = loaded.get("g")
    assert config is not None
    with pytest.raises(RunError) as caught:
        loaded.values(config)
    assert "'x' of variable group 'g'" in caught.value.message and "NOT_SET_HERE" in caught.value.message
    assert caught.value.location is not None and caught.value.location.line == 4


@pytest.mark.parametrize(
    ("text", "where", "line"),
    [
        (
            "variableGroups:\n  g:\n    variables:\n      x: {value: a, env: B}\n",
            "variableGroups.g.variables.x",
            4,
        ),
        ("variableGroups:\n  g:\n    variables:\n      x: [a, b]\n", "variableGroups.g.variables.x", 4),
        ("variableGroups:\n  g:\n    vars: {}\n", "variableGroups.g", 2),
        ("variableGroups:\n  g:\n    variables:\n      'bad name': x\n", "variableGroups.g.variables", 3),
        ("groups: {}\n", "the file", 1),
    ],
)
def test_schema_errors_are_located(tmp_path: Path, text: str, where: str, line: int) -> None:
    with pytest.raises(ConfigError) as caught:
        groups.load(_file(tmp_path, text))
    assert f"at {where}:" in caught.value.message, caught.value.message
    assert caught.value.location is not None and caught.value.location.line == line


def test_an_undefined_group_names_the_file_and_a_close_name(tmp_path: Path) -> None:
    loaded = groups.load(_file(tmp_path, "variableGroups:\n  shared: {}\n"))
    with pytest.raises(RunError) as caught:
        loaded.require("sharde", Location("p.yml", 2, 3))
    assert caught.value.message == f"Variable group 'sharde' is not defined in {loaded.source}"
    assert "shared" in (caught.value.hint or "")
    [missing] = groups.check_defined(loaded, [("shared", Location("p.yml")), ("other", Location("p.yml", 5))])
    assert "'other'" in missing.message


def test_without_a_file_the_message_says_so() -> None:
    [missing] = groups.check_defined(groups.NONE, [("MLOPSVG", Location("p.yml", 10, 5))])
    assert missing.message == "Variable group 'MLOPSVG' is not defined: there is no variable-groups.yml"
    assert "mlops init" in (missing.hint or "")


def test_find_file_beside_the_pipeline_then_mlops_pipelines(tmp_path: Path) -> None:
    pipeline = tmp_path / "ci" / "p.yml"
    pipeline.parent.mkdir()
    assert groups.find_file(pipeline, tmp_path) is None
    (tmp_path / "mlops_pipelines").mkdir()
    shared = tmp_path / "mlops_pipelines" / groups.FILE_NAME
    shared.write_text("variableGroups: {}\n")
    assert groups.find_file(pipeline, tmp_path) == shared
    beside = pipeline.parent / groups.FILE_NAME
    beside.write_text("variableGroups: {}\n")
    assert groups.find_file(pipeline, tmp_path) == beside
