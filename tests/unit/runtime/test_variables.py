"""Variables: macro expansion as the agent does it, environment names, secrets [DOC process/variables.md]."""

from __future__ import annotations

from emulator.runtime.variables import Masker, VariableSet, env_name, expand_macros, is_reserved, mask


def vs(**values: str) -> VariableSet:
    out = VariableSet()
    for k, v in values.items():
        out.set(k.replace("__", "."), v)
    return out


def test_unknown_macro_is_left_as_written() -> None:
    assert vs(a="1").expand("$(a) $(b) $(date) $()") == "1 $(b) $(date) $()"


def test_names_are_case_insensitive() -> None:
    assert vs(Build__SourceBranch="refs/heads/main").expand("$(build.sourcebranch)") == "refs/heads/main"


def test_values_expand_recursively_but_inputs_once() -> None:
    v = vs(myInner="someValue", myOuter="$(myInner)")
    assert v.expand("$(myOuter)") == "someValue"
    # an inserted value is not scanned again (agent VarUtil): a literal $(x) inside a value stays
    assert expand_macros("$(a)", {"a": "$(a)"}.get) == "$(a)"


def test_cycles_are_left_alone() -> None:
    v = vs(a="$(b)", b="$(a)")
    assert v.expand("$(a)") in ("$(a)", "$(b)")


def test_nested_parentheses_resolve_the_inner_macro() -> None:
    assert vs(bar="x").expand("$(foo $(bar))") == "$(foo x)"


def test_environment_names() -> None:
    assert env_name("any.variable") == "ANY_VARIABLE"
    assert env_name("my var") == "MY_VAR"
    assert env_name("setvarStep.myOutputVar") == "SETVARSTEP_MYOUTPUTVAR"


def test_environment_skips_secrets_and_reserved_prefixes() -> None:
    v = vs(plain="p", secretish="s", endpointX="e", inputY="i", pathZ="z", securefileA="f", ok="$(plain)")
    v.set("token", "t", secret=True)
    env = v.environment()
    assert env == {"PLAIN": "p", "OK": "p"}
    assert is_reserved("SecureFile.name") and is_reserved("pathX") and not is_reserved("myPath")


def test_as_dict_expands_values_for_expressions() -> None:
    v = vs(a="$(b)", b="x")
    assert v.as_dict() == {"a": "x", "b": "x"}


def test_copy_is_independent() -> None:
    v = vs(a="1")
    c = v.copy()
    c.set("a", "2")
    assert v.get("a") == "1" and c.get("A") == "2"


def test_mask_longest_first() -> None:
    assert mask("abc abcdef", ["abc", "abcdef"]) == "*** ***"


def test_masker_masks_each_line_of_a_value_and_is_shared() -> None:
    m = Masker(["first"])
    m.add("line one\nline two", "", "  ")
    assert m("first line one / line two") == "*** *** / ***"
    assert m.deep({"k": ["first", 1]}) == {"k": ["***", 1]}
