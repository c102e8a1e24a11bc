"""Conformance table for the expression language: expression -> value, or error fragment (+ column).

Every row cites where the expected behaviour comes from:
  docs <page>#<section>  learn.microsoft.com/azure/devops/pipelines/process/<page> (the docs'
                         function descriptions as mirrored in ChristopherHX/runner.server
                         src/Sdk/AzurePipelines/descriptions.json for iif/trim/split/...)
  notes <n> [PG ...]     /work/shared/reference/azure-pipelines-semantics.md section n, with the
                         measured-probe id it quotes ([PG] live service, [RS] runner.server tests)
  src ADO-v1 <file>      the service's expression engine as published in actions/runner
                         src/Sdk/DTExpressions (commit c8afc848), read for details the docs omit

Deliberate choices (where sources disagree, the docs and the measurements win):
  * no `null` literal: `null` is an unknown name ("Unrecognized value: 'null'") [notes 1.5, PG].
  * `iif` evaluates both branches (measured [PG C-E02-049], [RS iif-functions-ado-no-short-circuit]).
  * `contains` casts to String, so an array on the left is an error [docs, PG]; use containsValue.
  * `in`/`notIn` need 2+ parameters [PG; ADO-v1 ExpressionConstants] (the docs say 1).
  * `replace` is case-sensitive [PG] (RS differs).
  * nesting: the 50th open function/indexer is an error (49 nest fine) [ADO-v1 ExpressionParser].
  * unknown functions/named values are errors even in a branch that is not evaluated (the service
    rejects them while parsing) -- `or(true, succeeded())` fails at template time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from emulator.expressions import CaseInsensitiveDict, EvalContext, StrictMapping, Version


@dataclass(frozen=True)
class Err:
    """An expected ExpressionError: a fragment of its message and, optionally, its 1-based column."""

    fragment: str
    col: int | None = None


@dataclass(frozen=True)
class Case:
    expr: str
    expect: Any
    source: str


def make_context() -> EvalContext:
    """The named values every case is evaluated against (no run-time functions: template time)."""
    parameters = StrictMapping(
        {
            "env": "prod",
            "count": 3,
            "flag": True,
            "list": ["a", "b", "c"],
            "numbers": [1, 2, 3],
            "obj": {"Key": "v", "n": 1},
            "foo": [{"id": 1, "a": "avalue1"}, {"id": 2, "a": "avalue2"}, {"id": 3, "a": "avalue3"}],
            "param-minus": "pm",
            "branchOptions": ["refs/heads/main", "refs/heads/test"],
            "listOfValues": {"this_is": {"a_complex": "object", "with": ["one", "two"]}},
        }
    )
    variables = CaseInsensitiveDict(
        {
            "Build.SourceBranch": "refs/heads/main",
            "Build.Reason": "PullRequest",
            "letters": "ABC",
            "numbers": "123",
            "environments": "prod1,prod2",
        }
    )
    return EvalContext(
        {
            "parameters": parameters,
            "variables": variables,
            "dependencies": {"A": {"result": "Succeeded", "outputs": {"printvar.skipsubsequent": "false"}}},
            "pipeline": {"startTime": dt.datetime(2024, 3, 5, 7, 8, 9, 123456, tzinfo=dt.UTC)},
        }
    )


EXPR = "docs expressions.md"
CAST = "docs expressions.md#type-casting"
PG_SYNTAX = "notes 1.5 [PG C-E02-001..014]"
V1 = "src ADO-v1"

_DEEP_OK = "not(" * 49 + "true" + ")" * 49
_DEEP_BAD = "not(" * 50 + "true" + ")" * 50

CASES: list[Case] = [
    # --- literals ---------------------------------------------------------------------------------
    Case("true", True, f"{EXPR}#literals (case insensitive)"),
    Case("TRUE", True, f"{EXPR}#literals (True or TRUE also works)"),
    Case("False", False, f"{EXPR}#boolean"),
    Case("-1.2", -1.2, f"{EXPR}#literals (someNumber: -1.2)"),
    Case(".5", 0.5, f"{EXPR}#number (starts with '.')"),
    Case("5.", 5, f"{V1} LexicalAnalyzer (Decimal.TryParse AllowDecimalPoint)"),
    Case("-0", 0, f"{EXPR}#number (starts with '-')"),
    Case("'a b c'", "a b c", f"{EXPR}#literals (someString)"),
    Case(
        "'It''s OK if they''re using contractions.'",
        "It's OK if they're using contractions.",
        f"{EXPR}#string",
    ),
    Case("''", "", f"{EXPR}#string"),
    Case("1.2.3", Version(1, 2, 3), f"{EXPR}#version"),
    Case("1.2.3.4", Version(1, 2, 3, 4), f"{EXPR}#version (up to four segments)"),
    Case("1.2.3.4.5", Err("Unrecognized value: '1.2.3.4.5'", 1), f"{EXPR}#version; {V1} LexicalAnalyzer"),
    Case("gt(1.10, 1.9)", False, "notes 1.5 [PG C-E02-001..014] (2 segments is a Number)"),
    Case(
        "null", Err("Unrecognized value: 'null'", 1), f"{EXPR}#null (can't be called directly); {PG_SYNTAX}"
    ),
    Case("NaN", Err("Unrecognized value: 'NaN'", 1), PG_SYNTAX),
    Case("Infinity", Err("Unrecognized value: 'Infinity'", 1), PG_SYNTAX),
    Case("+1", Err("Unrecognized value: '+1'", 1), PG_SYNTAX),
    Case("1e3", Err("Unrecognized value: '1e3'", 1), PG_SYNTAX),
    Case("0x1F", Err("Unrecognized value: '0x1F'", 1), PG_SYNTAX),
    Case("eq(1, 'x", Err("Unrecognized value: ''x'", 7), f"{V1} LexicalAnalyzer (unclosed string)"),
    # --- no operators, no grouping ----------------------------------------------------------------
    Case("1 == 1", Err("Unrecognized value: '=='", 3), PG_SYNTAX),
    Case("and(true, true) && true", Err("Unrecognized value: '&&'", 17), PG_SYNTAX),
    Case("!true", Err("Unrecognized value: '!true'", 1), PG_SYNTAX),
    Case("(true)", Err("Unexpected symbol: '('", 1), f"{PG_SYNTAX} (no parenthesised grouping)"),
    Case("not (true)", False, f"{V1} LexicalAnalyzer (white space before '(' is skipped)"),
    Case("eq(1, 2) eq(1, 2)", Err("Unexpected symbol: 'eq'", 10), f"{V1} ExpressionParser"),
    Case("true.x", Err("Unexpected symbol: '.'", 5), f"{V1} ExpressionParser HandleDereference"),
    Case("'abc'[0]", Err("Unexpected symbol: '['", 6), f"{V1} ExpressionParser HandleStartIndex"),
    # --- access -----------------------------------------------------------------------------------
    Case("variables['Build.SourceBranch']", "refs/heads/main", f"{EXPR}#variables (index syntax)"),
    Case("variables.letters", "ABC", f"{EXPR}#variables (property dereference syntax)"),
    Case("variables.LETTERS", "ABC", "notes 1.5 [PG C-E02-027] (variables keys case-insensitive)"),
    Case("Variables.letters", "ABC", "notes 1.5 (top-level names ignore case)"),
    Case("variables['noSuch']", None, f"{EXPR}#null (returned from a dictionary miss)"),
    Case("variables.noSuch.deeper", None, "notes 1.5 [PG C-E02-010/025] (null-propagating)"),
    Case("parameters.noSuch", Err("Key not found 'noSuch'", 12), "notes 1.3 [PG C-E02-087]"),
    Case("parameters['param-minus']", "pm", "notes 1.4 [RS] (use the indexer for '-')"),
    Case(
        "parameters.param-minus",
        Err("Unexpected symbol: 'param-minus'", 12),
        "notes 1.4 [RS] ('-' not an identifier char)",
    ),
    Case("parameters.obj.Key", "v", f"{EXPR}#variables"),
    Case("parameters.obj.key", None, "notes 1.5 [PG C-E02-027] (nested object keys case-sensitive)"),
    Case("parameters.list[1]", "b", f"{EXPR} (index starts with 0)"),
    Case("parameters.list['1']", "b", f"{V1} IndexerNode (index converted to a number)"),
    Case("parameters.list[5]", None, f"{V1} IndexerNode (out of range is Null)"),
    Case("parameters.list[-1]", None, f"{V1} IndexerNode (negative is Null)"),
    Case("parameters.foo.*.id", [1, 2, 3], f"{EXPR}#filtered-arrays"),
    Case(
        "parameters.foo[*].a",
        ["avalue1", "avalue2", "avalue3"],
        f"{EXPR}#filtered-arrays; {V1} HandleWildcard",
    ),
    Case("parameters.obj.*", ["v", 1], f"{EXPR}#filtered-arrays (all elements regardless of names)"),
    Case("split('a,b,c', ',')[1]", "b", "notes 1.5 (index any expression)"),
    Case("dependencies.A.outputs['printvar.skipsubsequent']", "false", f"{EXPR}#dependencies"),
    Case(
        "parameters.",
        Err("Expected a property name to follow the dereference operator '.'", 11),
        f"{V1} ExpressionParser",
    ),
    Case("parameters['env'", Err("Unclosed indexer", 11), f"{V1} ExpressionParser"),
    Case("parameters[]", Err("Unexpected symbol: ']'", 12), f"{V1} ExpressionParser HandleEndIndex"),
    Case("parameters.list.1", Err("Unexpected symbol: '1'", 17), f"{V1} ExpressionParser HandleDereference"),
    Case("unknownContext.x", Err("Unrecognized value: 'unknownContext'", 1), "notes 1.5 (unknown context)"),
    # --- and / or / not / xor ---------------------------------------------------------------------
    Case("and(eq(variables.letters, 'ABC'), eq(variables.numbers, 123))", True, f"{EXPR}#and (example)"),
    Case("and(true, false)", False, f"{EXPR}#and"),
    Case("and(true, true, true)", True, f"{EXPR}#and (max parameters N)"),
    Case("and(false, parameters.noSuch)", False, f"{EXPR}#and (short-circuits after first False)"),
    Case("and(1, 'x')", True, f"{EXPR}#and (casts parameters to Boolean)"),
    Case("and(true)", Err("Too few parameters supplied: 'and'", 1), f"{EXPR}#and (min parameters 2)"),
    Case("or(eq(1, 1), eq(2, 3))", True, f"{EXPR}#or (example)"),
    Case("or(false, 0, '')", False, f"{EXPR}#or; {CAST}"),
    Case("or(true, parameters.noSuch)", True, f"{EXPR}#or (short-circuits after first True)"),
    Case("not(eq(1, 2))", True, f"{EXPR}#not (example)"),
    Case("not('')", True, f"{EXPR}#not; {CAST} (String '' -> False)"),
    Case("not(true, false)", Err("Too many parameters supplied: 'not'", 1), f"{EXPR}#not (max parameters 1)"),
    Case("xor(True, False)", True, f"{EXPR}#xor (example)"),
    Case("xor(true, 'yes')", False, f"{EXPR}#xor (casts to Boolean)"),
    # --- eq / ne ----------------------------------------------------------------------------------
    Case("eq(variables.letters, 'abc')", True, f"{EXPR}#eq (ordinal ignore-case)"),
    Case("eq(1, '1')", True, f"{EXPR}#eq (right converted to left's type)"),
    Case("eq('1', 1)", True, f"{EXPR}#eq; {CAST} (Number -> String)"),
    Case("eq(1, 'abc')", False, f"{EXPR}#eq (False if conversion fails)"),
    Case("eq(true, 'false')", True, "docs templates.md NOTE (non-empty string is True); notes 1.3"),
    Case("eq('1.0', 1)", False, f"{CAST} (Number -> String has no trailing .0)"),
    Case("eq(1.0, '1')", True, CAST),
    Case("eq(1.2.3, '1.2.3')", True, f"{CAST} (String -> Version)"),
    Case("eq(1.2.3, 1.2.3.0)", False, f"{V1} EvaluationResult (System.Version equality)"),
    Case("eq(variables.noSuch, '')", True, f"{CAST} (String -> Null: only '')"),
    Case("eq(variables.noSuch, 0)", False, f"{CAST} (Number -> Null not possible)"),
    Case("eq(0, variables.noSuch)", True, f"{CAST} (Null -> Number 0)"),
    Case("eq(false, variables.noSuch)", True, f"{CAST} (Null -> Boolean False)"),
    Case("eq('', variables.noSuch)", True, f"{CAST} (Null -> String '')"),
    Case("eq(parameters.list, parameters.list)", True, "notes 1.5 [PG C-E02-021..023] (reference equality)"),
    Case("eq(split('a', ','), split('a', ','))", False, "notes 1.5 [PG C-E02-021..023] (reference equality)"),
    Case("eq(1)", Err("Too few parameters supplied: 'eq'", 1), f"{EXPR}#eq (min parameters 2)"),
    Case("ne(1, 2)", True, f"{EXPR}#ne (example)"),
    Case("ne(1, 'abc')", True, f"{EXPR}#ne (True if conversion fails)"),
    Case("ne('A', 'a')", False, f"{EXPR}#ne (ordinal ignore-case)"),
    # --- gt / ge / lt / le ------------------------------------------------------------------------
    Case("gt(5, 2)", True, f"{EXPR}#gt (example)"),
    Case("ge(5, 5)", True, f"{EXPR}#ge (example)"),
    Case("lt(2, 5)", True, f"{EXPR}#lt (example)"),
    Case("le(2, 2)", True, f"{EXPR}#le (example)"),
    Case("gt('b', 'A')", True, f"{EXPR}#gt (ordinal ignore-case)"),
    Case("lt('a', 'B')", True, f"{EXPR}#lt (ordinal ignore-case)"),
    Case("gt('10', 9)", False, f"{EXPR}#gt (right converted to String: '10' < '9')"),
    Case("gt(10, '9')", True, f"{EXPR}#gt (right converted to Number)"),
    Case(
        "gt(1, 'abc')",
        Err("Unable to convert from String to Number. Value: 'abc'", 1),
        f"{EXPR}#gt (errors if conversion fails)",
    ),
    Case("gt(1.2.3, '1.2.2')", True, f"{EXPR}#gt; {CAST} (String -> Version)"),
    Case(
        "lt(1.2.3, 'x')",
        Err("Unable to convert from String to Version. Value: 'x'", 1),
        f"{EXPR}#lt (errors)",
    ),
    Case("gt(1.2.3, 1.2)", True, f"{CAST} (Number -> Version partial)"),
    Case(
        "gt(1.2.3, 1)",
        Err("Unable to convert from Number to Version. Value: 1", 1),
        f"{CAST} (Number -> Version partial)",
    ),
    Case("gt(true, false)", True, f"{V1} EvaluationResult.CompareTo (Boolean)"),
    Case(
        "lt(parameters.list, 1)",
        Err("Unable to convert from Array to Number. Value: Array", 1),
        f"{V1} EvaluationResult.CompareTo",
    ),
    Case("gt(variables.noSuch, -1)", True, f"{CAST} (Null -> Number 0)"),
    # --- in / notIn -------------------------------------------------------------------------------
    Case("in('B', 'A', 'B', 'C')", True, f"{EXPR}#in (example)"),
    Case("in('b', 'A', 'B')", True, f"{EXPR}#in (ordinal ignore-case)"),
    Case("in('D', 'A', 'B')", False, f"{EXPR}#in"),
    Case("in(1, 'x', '1')", True, f"{EXPR}#in (failed conversion is just unequal)"),
    Case("in('A', 'A', parameters.noSuch)", True, f"{EXPR}#in (short-circuits after first match)"),
    Case("in('A')", Err("Too few parameters supplied: 'in'", 1), "notes 1.5 [PG: in/notIn 2..N]"),
    Case("notIn('D', 'A', 'B', 'C')", True, f"{EXPR}#notin (example)"),
    Case("notIn('a', 'A', 'B')", False, f"{EXPR}#notin"),
    # --- contains / containsValue / startsWith / endsWith ------------------------------------------
    Case("contains('ABCDE', 'BCD')", True, f"{EXPR}#contains (example)"),
    Case("contains('abcde', 'BCD')", True, f"{EXPR}#contains (ordinal ignore-case)"),
    Case("contains('ABCDE', 'X')", False, f"{EXPR}#contains"),
    Case("contains(123, 2)", True, f"{EXPR}#contains (casts parameters to String)"),
    Case(
        "contains(parameters.list, 'a')",
        Err("Unable to convert from Array to String. Value: Array", 1),
        "notes 1.5 [PG: Array left -> error]",
    ),
    Case(
        "containsValue(parameters.branchOptions, variables['Build.SourceBranch'])",
        True,
        f"{EXPR}#containsvalue (example)",
    ),
    Case("containsValue(parameters.list, 'B')", True, f"{EXPR}#containsvalue (ordinal ignore-case)"),
    Case("containsValue(parameters.obj, 'V')", True, f"{EXPR}#containsvalue (object property values)"),
    Case(
        "containsValue(parameters.numbers, '2')",
        True,
        f"{EXPR}#containsvalue (items converted to right's type)",
    ),
    Case("containsValue(parameters.list, 'z')", False, f"{EXPR}#containsvalue"),
    Case("containsValue('abc', 'a')", False, f"{EXPR}#containsvalue (left must be array or object)"),
    Case("startsWith('ABCDE', 'AB')", True, f"{EXPR}#startswith (example)"),
    Case("startsWith('abcde', 'AB')", True, f"{EXPR}#startswith (ordinal ignore-case)"),
    Case("endsWith('ABCDE', 'DE')", True, f"{EXPR}#endswith (example)"),
    Case("endsWith('ABCDE', 'cd')", False, f"{EXPR}#endswith"),
    # --- coalesce ---------------------------------------------------------------------------------
    Case(
        "coalesce(variables.couldBeNull, variables.couldAlsoBeNull, 'literal so it always works')",
        "literal so it always works",
        f"{EXPR}#coalesce (example)",
    ),
    Case("coalesce('', variables.noSuch, 0)", 0, f"{EXPR}#coalesce (skips only null and '')"),
    Case("coalesce('test', parameters.y)", "test", "notes 1.3 [RS referenced-missing-parameter-ok]"),
    Case(
        "coalesce(parameters.y, 'test')",
        Err("Key not found 'y'", 21),
        "notes 1.3 [PG C-E02-087] (missing parameter)",
    ),
    Case("coalesce(variables.noSuch, '')", "", f"{EXPR}#coalesce (no value if all null or empty)"),
    # --- format -----------------------------------------------------------------------------------
    Case("format('Hello {0} {1}', 'John', 'Doe')", "Hello John Doe", f"{EXPR}#format (example)"),
    Case(
        "format('literal left brace {{ and literal right brace }}')",
        "literal left brace { and literal right brace }",
        f"{EXPR}#format (escape by doubling braces)",
    ),
    Case("format('{0}', true)", "True", f"{CAST} (Boolean -> String 'True')"),
    Case("format('{0}', 1.50)", "1.5", "notes 1.5 [PG C-E02-021..023] (keeps fraction)"),
    Case("format('{0}', -1.0)", "-1", "notes 1.5 [PG C-E02-021..023] (1.0 -> 1)"),
    Case("format('{0}{1}', variables.noSuch, 1.2.3)", "1.2.3", f"{CAST} (Null -> '', Version -> String)"),
    Case("format('{1}', 'a')", Err("references more arguments than were supplied", 1), f"{V1} FormatNode"),
    Case("format('{0', 'a')", Err("The following format string is invalid: {0", 1), f"{V1} FormatNode"),
    Case("format('a}b')", Err("format string is invalid", 1), f"{V1} FormatNode"),
    Case(
        "format('{0}', parameters.obj)",
        Err("Unable to convert from Object to String. Value: Object", 1),
        "notes 1.4 (lone vs mixed)",
    ),
    Case("format('{0:yyyyMMdd}', pipeline.startTime)", "20240305", f"{EXPR}#counter (example); #format"),
    Case(
        "format('{0:HH mm ss ff}', pipeline.startTime)",
        "07 08 09 12",
        f"{EXPR}#format (.NET date specifiers)",
    ),
    Case(
        "format('{0}', pipeline.startTime)",
        "2024-03-05 07:08:09+00:00",
        f"{V1} ExpressionConstants.DateTimeFormat",
    ),
    Case(
        "format('{0:yyyy-MM}', pipeline.startTime)",
        Err("are not valid for objects of type 'DateTime'", 1),
        f"{V1} FormatNode (only listed specifiers)",
    ),
    Case("format('{0:x}', 1)", Err("are not valid for objects of type 'Number'", 1), f"{V1} FormatNode"),
    # --- join / split / replace / lower / upper / trim / length -----------------------------------
    Case("join(';', parameters.list)", "a;b;c", f"{EXPR}#join (example)"),
    Case("join(';', parameters.foo)", ";;", f"{EXPR}#join (complex objects become '')"),
    Case("join(',', 'abc')", "abc", f"{EXPR}#join (non-array: the right parameter as string)"),
    Case("join(',', parameters.obj)", "", f"{V1} JoinNode (object is not convertible: '')"),
    Case("join(',', parameters.numbers)", "1,2,3", f"{EXPR}#join (elements converted to string)"),
    Case("split(variables.environments, ',')", ["prod1", "prod2"], f"{EXPR}#split (example)"),
    Case("split('a,,b,', ',')", ["a", "", "b", ""], f"{EXPR}#split (includes empty strings)"),
    Case("split('a--b', '--')", ["a", "b"], "notes 1.5 (single delimiter string)"),
    Case("length(split('', ','))", 1, f"{EXPR}#split"),
    Case(
        "replace('https://www.tinfoilsecurity.com/saml/consume','https://www.tinfoilsecurity.com','http://server')",
        "http://server/saml/consume",
        f"{EXPR}#replace (example)",
    ),
    Case("replace('aAa', 'a', 'b')", "bAb", "notes 1.5 [PG: replace is case-sensitive]"),
    Case("lower('FOO')", "foo", f"{EXPR}#lower (example)"),
    Case("upper('bah')", "BAH", f"{EXPR}#upper (example)"),
    Case("upper(true)", "TRUE", f"{EXPR}#upper; {CAST}"),
    Case("trim('  variable  ')", "variable", f"{EXPR}#trim (example)"),
    Case("trim(variables.noSuch)", "", f"{EXPR}#trim; {CAST}"),
    Case("length('fabrikam')", 8, f"{EXPR}#length (example)"),
    Case("length(parameters.list)", 3, f"{EXPR}#length (array)"),
    Case("length(parameters.obj)", 2, "notes 1.5 [PG+RS: object -> key count]"),
    Case("length(variables.noSuch)", 0, f"{EXPR}#length; {CAST}"),
    # --- convertToJson ----------------------------------------------------------------------------
    Case(
        "convertToJson(parameters.listOfValues)",
        '{\n  "this_is": {\n    "a_complex": "object",\n    "with": [\n'
        '      "one",\n      "two"\n    ]\n  }\n}',
        f"{EXPR}#converttojson (example output)",
    ),
    Case("convertToJson(parameters.list)", '[\n  "a",\n  "b",\n  "c"\n]', f"{EXPR}#converttojson"),
    Case("convertToJson('a')", '"a"', f"{EXPR}#converttojson"),
    # --- iif --------------------------------------------------------------------------------------
    Case(
        "iif(eq(variables['Build.Reason'], 'PullRequest'), 'ManagedDevOpsPool', 'Azure Pipelines')",
        "ManagedDevOpsPool",
        f"{EXPR}#iif (example)",
    ),
    Case("iif(false, 'a', 'b')", "b", f"{EXPR}#iif"),
    Case("iif('', 1, 2)", 2, f"{EXPR}#iif; {CAST}"),
    Case(
        "iif(true, 'a', parameters.missing)",
        Err("Key not found 'missing'", 27),
        "notes 1.5 [PG C-E02-049] (both branches evaluated)",
    ),
    Case("iif(true, parameters.obj, 'x').Key", "v", "notes 1.2 [RS iif-functions-ado-complex-object]"),
    Case("iif(true, 1)", Err("Too few parameters supplied: 'iif'", 1), f"{EXPR}#iif (min parameters 3)"),
    # --- functions: names, availability -----------------------------------------------------------
    Case("EQ(1, 1)", True, "notes 1.5 (function names case-insensitive)"),
    Case("eq", Err("Expected '(' to follow a function", 1), f"{V1} ExpressionParser HandleFunction"),
    Case("foo()", Err("Unrecognized function name: 'foo'", 1), "notes 1.5 (unknown function)"),
    Case(
        "succeeded()",
        Err("Unrecognized function name: 'succeeded'", 1),
        f"{EXPR}#job-status-functions (conditions only)",
    ),
    Case(
        "or(true, failed())",
        Err("Unrecognized function name: 'failed'", 10),
        "notes 1.4 [RS] (rejected at parse time)",
    ),
    Case(
        "counter('x', 1)",
        Err("Unrecognized function name: 'counter'", 1),
        f"{EXPR}#counter (variable definitions only)",
    ),
    # --- casting ----------------------------------------------------------------------------------
    Case("eq(1, true)", True, f"{CAST} (Boolean -> Number 1)"),
    Case("eq(0, false)", True, f"{CAST} (Boolean -> Number 0)"),
    Case("eq(true, 2)", True, f"{CAST} (Number -> Boolean: non-zero True)"),
    Case("eq('True', true)", True, f"{CAST} (Boolean -> String 'True')"),
    Case("eq(1, ' 1 ')", True, f"{CAST} (String -> Number: leading/trailing white allowed)"),
    Case("eq(' 1 ', 1)", False, f"{CAST} (Number -> String '1')"),
    Case("eq(1000, '1,000')", True, "notes 1.5 [PG C-E02-021] (thousands separator)"),
    Case("eq(.5, '0.5')", True, "notes 1.5 [PG C-E02-021] (decimals)"),
    Case("eq(-2, '-2')", True, f"{CAST} (AllowLeadingSign)"),
    Case("eq(1000, '1e3')", False, f"{CAST} (no exponent: not convertible)"),
    Case("eq(0, '')", True, f"{CAST} (String '' -> Number 0)"),
    Case("not(parameters.obj)", False, "notes 1.5 (arrays/objects are truthy)"),
    Case("not(1.2.3)", False, f"{CAST} (Version -> Boolean True)"),
    Case("not(0)", True, f"{CAST} (Number 0 -> False)"),
    Case("not('false')", False, f"{CAST} (any non-empty string -> True)"),
    Case("not(variables.noSuch)", True, f"{CAST} (Null -> Boolean False)"),
    # --- depth and syntax errors with exact columns -------------------------------------------------
    Case(_DEEP_OK, False, "notes 2 [PG C-E02-014] (49 nested functions parse)"),
    Case(
        _DEEP_BAD, Err("Exceeded max expression depth 50", 197), "notes 2 [PG C-E02-014]; ADO-v1 MaxDepth 50"
    ),
    Case("eq(1,)", Err("Unexpected symbol: ')'", 6), f"{V1} ExpressionParser HandleEndParameter"),
    Case("eq(,1)", Err("Unexpected symbol: ','", 4), f"{V1} ExpressionParser HandleSeparator"),
    Case("eq(1 2)", Err("Unexpected symbol: '2'", 6), f"{V1} ExpressionParser HandleValue"),
    Case("eq(1, 2", Err("Unclosed function: 'eq'", 1), f"{V1} ExpressionParser"),
    Case("and(true, eq(1, 2)", Err("Unclosed function: 'and'", 1), f"{V1} ExpressionParser"),
    Case("eq(1, 2))", Err("Unexpected symbol: ')'", 9), f"{V1} ExpressionParser HandleEndParameter"),
    Case("variables['a'],", Err("Unexpected symbol: ','", 15), f"{V1} ExpressionParser HandleSeparator"),
    Case("eq('a', \"b\")", Err("Unrecognized value: '\"b\"'", 9), f"{EXPR}#string (must be single-quoted)"),
    Case("", Err("Expected an expression", 1), "emulator: empty expression"),
    Case("   ", Err("Expected an expression", 1), "emulator: empty expression"),
]
