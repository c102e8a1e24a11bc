"""find_template_expressions: splitting a scalar into text and `${{ }}` holes."""

from __future__ import annotations

import pytest

from emulator.errors import ExpressionError, Location
from emulator.expressions import (
    EvalContext,
    Segment,
    evaluate_text,
    find_template_expressions,
    is_lone_expression,
)


def test_plain_text_is_one_text_segment() -> None:
    assert find_template_expressions("hello") == [Segment("text", "hello", 0)]
    assert find_template_expressions("") == []


def test_lone_expression() -> None:
    segments = find_template_expressions("${{ parameters.x }}")
    assert segments == [Segment("expr", " parameters.x ", 3)]
    assert is_lone_expression(segments)


def test_mixed_text_keeps_offsets() -> None:
    text = "a-${{ x }}-b${{y}}"
    segments = find_template_expressions(text)
    assert segments == [
        Segment("text", "a-", 0),
        Segment("expr", " x ", 5),
        Segment("text", "-b", 10),
        Segment("expr", "y", 15),
    ]
    assert not is_lone_expression(segments)
    for seg in segments:
        assert text[seg.offset : seg.offset + len(seg.text)] == seg.text


def test_whitespace_around_a_hole_makes_it_mixed() -> None:
    # notes 1.4: "boundary is not whitespace tolerant ('  ${{ obj }}  ' is mixed)"
    assert not is_lone_expression(find_template_expressions(" ${{ x }}"))


def test_docs_escape_example() -> None:
    # docs template-expressions.md / notes 1.4: ${{ 'my${{value' }} -> my${{value
    segments = find_template_expressions("${{ 'my${{value' }}")
    assert segments == [Segment("expr", " 'my${{value' ", 3)]
    assert evaluate_text(segments[0].text, EvalContext({})) == "my${{value"


def test_closing_braces_inside_a_string_do_not_close() -> None:
    segments = find_template_expressions("${{ format('{0}}}', 'a') }}!")
    assert [s.kind for s in segments] == ["expr", "text"]
    assert evaluate_text(segments[0].text, EvalContext({})) == "a}"
    assert segments[1].text == "!"


def test_escaped_quote_inside_string() -> None:
    segments = find_template_expressions("${{ 'it''s }}' }}")
    assert segments == [Segment("expr", " 'it''s }}' ", 3)]
    assert evaluate_text(segments[0].text, EvalContext({})) == "it's }}"


def test_empty_hole() -> None:
    assert find_template_expressions("${{}}") == [Segment("expr", "", 3)]


def test_runtime_and_macro_syntax_are_text() -> None:
    assert find_template_expressions("$[ variables.a ] $(b) {{ c }}") == [
        Segment("text", "$[ variables.a ] $(b) {{ c }}", 0)
    ]


def test_unclosed_hole_is_an_error_at_its_start() -> None:
    with pytest.raises(ExpressionError, match="The expression is not closed") as info:
        find_template_expressions("abc ${{ x ", Location("p.yml", 4, 10))
    assert info.value.location == Location("p.yml", 4, 14)
    with pytest.raises(ExpressionError) as info:
        find_template_expressions("${{ '}}")
    assert info.value.location == Location("<expression>", 1, 1)


def test_segment_is_frozen() -> None:
    seg = Segment("text", "a", 0)
    with pytest.raises(AttributeError):
        seg.text = "b"  # type: ignore[misc]
