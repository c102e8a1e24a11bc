"""The Azure Pipelines expression language, shared by `${{ }}`, `$[ ]` and `condition:`.

A pure package (stdlib + emulator.errors). Typical use::

    ctx = EvalContext({"parameters": StrictMapping(params), "variables": CaseInsensitiveDict(vars)})
    value = evaluate_text("eq(parameters.env, 'prod')", ctx, location)

Run-time-only functions (status functions, `counter`) are not built in: a caller that evaluates at
run time passes them in `EvalContext.functions`; at template time they are "Unrecognized function
name" with a hint. Deliberate choices (no null literal, eager `iif`, `contains` on arrays is an
error, ...) are listed, with their sources, in the header of tests/unit/expressions/expression_cases.py.
"""

from .evaluator import EvalContext, FilteredArray, check_names, evaluate, evaluate_text
from .functions import BUILTINS, RUNTIME_ONLY_FUNCTIONS, STATUS_FUNCTIONS, Builtin
from .nodes import CallNode, Expr, IndexNode, LiteralNode, MemberNode, NameNode, WildcardNode
from .parser import MAX_DEPTH, parse
from .template import Segment, find_template_expressions, is_lone_expression
from .values import (
    CaseInsensitiveDict,
    StrictMapping,
    Version,
    compare,
    equals,
    format_number,
    format_value,
    kind_of,
    to_bool,
    to_number,
    to_string,
    try_to_number,
    try_to_string,
)

__all__ = [
    "BUILTINS",
    "MAX_DEPTH",
    "RUNTIME_ONLY_FUNCTIONS",
    "STATUS_FUNCTIONS",
    "Builtin",
    "CallNode",
    "CaseInsensitiveDict",
    "EvalContext",
    "Expr",
    "FilteredArray",
    "IndexNode",
    "LiteralNode",
    "MemberNode",
    "NameNode",
    "Segment",
    "StrictMapping",
    "Version",
    "WildcardNode",
    "check_names",
    "compare",
    "equals",
    "evaluate",
    "evaluate_text",
    "find_template_expressions",
    "format_number",
    "format_value",
    "is_lone_expression",
    "kind_of",
    "parse",
    "to_bool",
    "to_number",
    "to_string",
    "try_to_number",
    "try_to_string",
]
