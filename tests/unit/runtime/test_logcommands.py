"""Logging commands parsed exactly as the agent's Command.TryParse does
[AGENT Command.cs; DOC logging-commands.md]."""

from __future__ import annotations

from emulator.runtime.logcommands import FormatCommand, LogCommand, escape, parse_line, unescape


def test_basic_command() -> None:
    cmd = parse_line("##vso[task.setvariable variable=x;isOutput=true]value")
    assert isinstance(cmd, LogCommand)
    assert (cmd.area, cmd.action, cmd.message) == ("task", "setvariable", "value")
    assert cmd.get("variable") == "x" and cmd.flag("isoutput") and cmd.flag("IsOutput")


def test_command_anywhere_in_the_line_and_case() -> None:
    cmd = parse_line("prefix ##VSO[Task.SetVariable variable=x]v")
    assert cmd is None  # the prefix is matched exactly (##vso[)
    cmd = parse_line("prefix ##vso[Task.SetVariable variable=x]v")
    assert isinstance(cmd, LogCommand) and cmd.key == "task.setvariable"


def test_property_keys_are_not_trimmed() -> None:
    cmd = parse_line("##vso[task.setvariable variable=x; isOutput=true]v")
    assert isinstance(cmd, LogCommand)
    assert not cmd.flag("isoutput")  # ' isoutput' is another key, as on the agent


def test_empty_keys_or_values_are_dropped_and_values_keep_equals() -> None:
    cmd = parse_line("##vso[task.setvariable variable=;=x;a=b=c]m")
    assert isinstance(cmd, LogCommand)
    assert dict(cmd.properties) == {"a": "b=c"}


def test_unescaping() -> None:
    assert unescape("a%3Bb%0D%0Ac%5Dd%AZP25") == "a;b\r\nc]d%"
    assert unescape(escape("x;y]z\n100%")) == "x;y]z\n100%"
    cmd = parse_line("##vso[task.logissue type=error;sourcepath=a%3Bb]line%0Anext")
    assert isinstance(cmd, LogCommand) and cmd.message == "line\nnext" and cmd.get("sourcepath") == "a;b"


def test_malformed_commands_are_plain_output() -> None:
    assert parse_line("##vso[task.setvariable variable=x") is None
    assert parse_line("##vso[setvariable]x") is None
    assert parse_line("##vso[a.b.c]x") is None
    assert parse_line("just text") is None


def test_formatting_commands() -> None:
    cmd = parse_line("##[group]Title")
    assert cmd == FormatCommand("group", "Title")
    assert parse_line("##[endgroup]") == FormatCommand("endgroup", "")
    assert parse_line("##[unknown]x") is None
    assert parse_line("  ##[warning]indented") is None


def test_flag_reads_booleans_like_dotnet() -> None:
    cmd = parse_line("##vso[task.setvariable variable=x;issecret= True ;isoutput=yes]v")
    assert isinstance(cmd, LogCommand)
    assert cmd.flag("issecret") and not cmd.flag("isoutput")
