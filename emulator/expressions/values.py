"""Value kinds and the service's type-casting rules.

Why a module of its own: the same casting table drives comparisons, function arguments and the
rendering of `${{ }}` holes into YAML text, so every caller must agree on it byte for byte.

Sources: docs expressions.md "Type casting" and the measured notes
(/work/shared/reference/azure-pipelines-semantics.md 1.5). The service is .NET; numbers are
`System.Decimal`, strings compare ordinal-ignore-case, and `Version` is `System.Version`.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from emulator.errors import ExpressionError, Location

NULL: Final = "Null"
BOOLEAN: Final = "Boolean"
NUMBER: Final = "Number"
STRING: Final = "String"
VERSION: Final = "Version"
DATETIME: Final = "DateTime"
ARRAY: Final = "Array"
OBJECT: Final = "Object"

# .NET Char.IsWhiteSpace (the lexer and String.Trim use it); Python's str.isspace also counts
# U+001C..U+001F, which .NET does not.
NET_WHITESPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# Number parsing only accepts these as "white" (System.Globalization.Number.IsWhite).
_NUMBER_WHITE: Final = "\t\n\v\f\r "

_DECIMAL_MAX: Final = decimal.Decimal(79228162514264337593543950335)  # System.Decimal.MaxValue
_INT32_MAX: Final = 2**31 - 1
_WIDE = decimal.Context(prec=420, rounding=decimal.ROUND_HALF_UP)
_SEVEN_PLACES: Final = decimal.Decimal("1e-7")


@dataclass(frozen=True, order=True, slots=True)
class Version:
    """A `System.Version`: 2-4 non-negative components; unset build/revision are -1 and sort first."""

    major: int
    minor: int
    build: int = -1
    revision: int = -1

    def __str__(self) -> str:
        parts = [self.major, self.minor]
        if self.build >= 0:
            parts.append(self.build)
            if self.revision >= 0:
                parts.append(self.revision)
        return ".".join(str(p) for p in parts)

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """`Version.TryParse`: each part is an Int32 (white space and a sign allowed), >= 0."""
        parts = text.split(".")
        if not 2 <= len(parts) <= 4:
            return None
        numbers: list[int] = []
        for part in parts:
            m = _VERSION_PART.fullmatch(part)
            if m is None or len(m.group(2)) > 12:
                return None
            value = int(m.group(2))
            if m.group(1) == "-" and value != 0:
                return None
            if value > _INT32_MAX:
                return None
            numbers.append(value)
        return cls(*numbers)


_VERSION_PART = re.compile(r"[\t\n\v\f\r ]*([+-]?)0*([0-9]+)[\t\n\v\f\r ]*")


def fold(text: str) -> str:
    """The key of an ordinal-ignore-case comparison (.NET upper-cases char by char)."""
    if text.isascii():
        return text.upper()
    return "".join(u if len(u := c.upper()) == 1 else c for c in text)


class CaseInsensitiveDict(MutableMapping[str, Any]):
    """A mapping whose lookups ignore case but which keeps the authored key order and spelling.

    Why: `variables` and the top level of `parameters` are case-insensitive in the service, yet the
    final YAML and error messages show keys as the author wrote them. With `strict=True` a missing
    key is an expression error ("Key not found 'x'") instead of Null: that is how the service treats
    `parameters` (semantics notes 1.3, [PG C-E02-087]). Python lookups (`d[k]`) still raise
    KeyError as any Mapping does; strictness only changes what the expression evaluator does.
    """

    __slots__ = ("_data", "strict")

    def __init__(
        self,
        data: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        /,
        *,
        strict: bool = False,
    ) -> None:
        self._data: dict[str, tuple[str, Any]] = {}
        self.strict = strict
        if data is not None:
            items = data.items() if isinstance(data, Mapping) else data
            for key, value in items:
                self[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._data[fold(key)][1]

    def __setitem__(self, key: str, value: Any) -> None:
        folded = fold(key)
        existing = self._data.get(folded)
        self._data[folded] = (existing[0] if existing is not None else key, value)

    def __delitem__(self, key: str) -> None:
        del self._data[fold(key)]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and fold(key) in self._data

    def get(self, key: str, default: Any = None) -> Any:
        """Fast path used by the evaluator (no exception on a miss)."""
        entry = self._data.get(fold(key))
        return default if entry is None else entry[1]

    def original_key(self, key: str) -> str | None:
        """The key as authored, for a lookup in any case."""
        entry = self._data.get(fold(key))
        return None if entry is None else entry[0]

    def copy(self) -> CaseInsensitiveDict:
        """A shallow copy that keeps strictness."""
        return type(self)(self.items(), strict=self.strict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        if len(other) != len(self):
            return False
        other_ci = other if isinstance(other, CaseInsensitiveDict) else CaseInsensitiveDict(other)
        return all(k in other_ci and other_ci[k] == v for k, v in self.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        flag = ", strict=True" if self.strict else ""
        return f"{type(self).__name__}({dict(self.items())!r}{flag})"


class StrictMapping(CaseInsensitiveDict):
    """A CaseInsensitiveDict whose misses are expression errors (the `parameters` context)."""

    __slots__ = ()

    def __init__(
        self,
        data: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        /,
        *,
        strict: bool = True,
    ) -> None:
        super().__init__(data, strict=strict)


def kind_of(value: Any) -> str:
    """The service's value kind of a Python value (Null, Boolean, Number, String, ...)."""
    kind = _KIND_BY_TYPE.get(type(value))
    if kind is not None:
        return kind
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float, decimal.Decimal)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, Version):
        return VERSION
    if isinstance(value, _dt.datetime):
        return DATETIME
    if isinstance(value, Mapping):
        return OBJECT
    if isinstance(value, (list, tuple)):
        return ARRAY
    return STRING  # anything else (dates, enums, ...) behaves as its text


_KIND_BY_TYPE: dict[type, str] = {
    str: STRING,
    bool: BOOLEAN,
    int: NUMBER,
    float: NUMBER,
    type(None): NULL,
    dict: OBJECT,
    list: ARRAY,
    tuple: ARRAY,
    Version: VERSION,
    _dt.datetime: DATETIME,
    CaseInsensitiveDict: OBJECT,
    StrictMapping: OBJECT,
}


def is_collection(value: Any) -> bool:
    """Arrays and objects: the kinds that can be indexed and iterated."""
    kind = kind_of(value)
    return kind == ARRAY or kind == OBJECT


# --- numbers -----------------------------------------------------------------------------------

_LITERAL_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_TEXT_NUMBER = re.compile(r"[\t\n\v\f\r ]*([+-]?)((?:[0-9][0-9,]*)?)(?:\.([0-9]*))?[\t\n\v\f\r ]*")


def _decimal_to_number(d: decimal.Decimal) -> int | float | None:
    if abs(d) > _DECIMAL_MAX:
        return None
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def parse_number_literal(text: str) -> int | float | None:
    """A number token: `Decimal.TryParse` with AllowDecimalPoint | AllowLeadingSign (no exponent)."""
    if _LITERAL_NUMBER.fullmatch(text) is None:
        return None
    return _decimal_to_number(decimal.Decimal(text))


def parse_number_text(text: str) -> int | float | None:
    """String to Number: '' is 0, else invariant `Decimal.TryParse` allowing white space around,
    a leading sign, a decimal point and thousands separators ([DOC] casting table; [PG C-E02-021])."""
    if text == "":
        return 0
    m = _TEXT_NUMBER.fullmatch(text)
    if m is None:
        return None
    sign, whole, fraction = m.group(1), m.group(2), m.group(3)
    if not whole and not fraction:
        return None
    return _decimal_to_number(decimal.Decimal(f"{sign}{whole.replace(',', '') or '0'}.{fraction or '0'}"))


def format_number(value: int | float | decimal.Decimal) -> str:
    """Number to String like `Decimal.ToString("0.#######")`: no exponent, no trailing zeros."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        value = decimal.Decimal(repr(value))
    rounded = value.quantize(_SEVEN_PLACES, context=_WIDE)
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- date and time (pipeline.startTime) ----------------------------------------------------------

_DATETIME_TEXT = re.compile(
    r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?"
    r"(Z|[+-]\d{1,2}:\d{1,2})?"
)


def _aware(value: _dt.datetime) -> _dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=_dt.UTC)


def parse_datetime(text: str) -> _dt.datetime | None:
    """String to DateTime as the service's parser does (`yyyy-MM-dd HH:mm:ss[.f][offset]`);
    no offset means UTC here (the service uses the organisation's time zone)."""
    m = _DATETIME_TEXT.fullmatch(text.strip(NET_WHITESPACE))
    if m is None:
        return None
    year, _, month, day, hour, minute, second, fraction, offset = m.groups()
    tz: _dt.tzinfo = _dt.UTC
    if offset and offset != "Z":
        hours, minutes = offset[1:].split(":")
        delta = _dt.timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= _dt.timedelta(hours=24):
            return None
        tz = _dt.timezone(-delta if offset[0] == "-" else delta)
    micro = int((fraction or "0").ljust(7, "0")[:6])
    try:
        return _dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
    except ValueError:
        return None


def _offset_text(value: _dt.datetime) -> str:
    offset = _aware(value).utcoffset() or _dt.timedelta(0)
    sign = "-" if offset < _dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_datetime(value: _dt.datetime) -> str:
    """DateTime to String: `yyyy-MM-dd HH:mm:sszzz`."""
    return value.strftime("%Y-%m-%d %H:%M:%S") + _offset_text(value)


def format_datetime_custom(value: _dt.datetime, specifiers: str) -> str:
    """`format('{0:yyyyMMdd}', pipeline.startTime)`: the .NET custom specifiers the docs list.

    Raises ExpressionError for anything else, as the service does (a literal character must be
    escaped with a backslash; runs of spaces are copied).
    """
    fraction = f"{value.microsecond:06d}0"
    out: list[str] = []
    i = 0
    while i < len(specifiers):
        start = i
        c = specifiers[i]
        i += 1
        if c == "\\":
            if i >= len(specifiers):
                raise _bad_specifiers(specifiers)
            out.append(specifiers[i])
            i += 1
            continue
        while i < len(specifiers) and specifiers[i] == c:
            i += 1
        spec = specifiers[start:i]
        if spec == "yyyy":
            out.append(f"{value.year:04d}")
        elif spec == "yy":
            out.append(f"{value.year % 100:02d}")
        elif spec in ("MM", "M"):
            out.append(f"{value.month:0{len(spec)}d}")
        elif spec in ("dd", "d"):
            out.append(f"{value.day:0{len(spec)}d}")
        elif spec in ("HH", "H"):
            out.append(f"{value.hour:0{len(spec)}d}")
        elif spec in ("mm", "m"):
            out.append(f"{value.minute:0{len(spec)}d}")
        elif spec in ("ss", "s"):
            out.append(f"{value.second:0{len(spec)}d}")
        elif c == "f" and len(spec) <= 7:
            out.append(fraction[: len(spec)])
        elif spec in ("zzz", "K"):
            out.append(_offset_text(value))
        elif c == " ":
            out.append(spec)
        else:
            raise _bad_specifiers(specifiers)
    return "".join(out)


def _bad_specifiers(specifiers: str) -> ExpressionError:
    return ExpressionError(
        f"The format specifiers '{specifiers}' are not valid for objects of type 'DateTime'"
    )


# --- casting ------------------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """A value as the service shows it in messages: 'text', v1.2.3, Object, Array, Null."""
    kind = kind_of(value)
    if kind == STRING:
        return "'" + str(value).replace("'", "''") + "'"
    if kind == VERSION:
        return f"v{value}"
    if kind == DATETIME:
        return f"(DateTime){format_datetime(value)}"
    if kind in (ARRAY, OBJECT, NULL):
        return kind
    if kind == BOOLEAN:
        return "True" if value else "False"
    return format_number(value)


def cast_error(
    value: Any, to_kind: str, location: Location | None = None, hint: str | None = None
) -> ExpressionError:
    """The service's TypeCastException text."""
    return ExpressionError(
        f"Unable to convert from {kind_of(value)} to {to_kind}. Value: {format_value(value)}",
        location,
        hint=hint,
    )


def try_to_string(value: Any) -> str | None:
    """String conversion, or None for arrays and objects (which have no text form)."""
    if type(value) is str:
        return value
    kind = kind_of(value)
    if kind == STRING:
        return str(value)
    if kind == NULL:
        return ""
    if kind == BOOLEAN:
        return "True" if value else "False"
    if kind == NUMBER:
        return format_number(value)
    if kind == VERSION:
        return str(value)
    if kind == DATETIME:
        return format_datetime(value)
    return None


def to_string(value: Any, *, location: Location | None = None) -> str:
    """How the service renders a value into text: True/False, '' for Null, 1 not 1.0, versions as
    text. Arrays and objects raise "Unable to convert from Object to String. Value: Object"."""
    text = try_to_string(value)
    if text is None:
        raise cast_error(value, STRING, location)
    return text


def to_bool(value: Any) -> bool:
    """Truthiness per the casting table: Null, False, 0 and '' are False; everything else True."""
    if type(value) is bool:
        return value
    kind = kind_of(value)
    if kind == NULL:
        return False
    if kind == BOOLEAN:
        return bool(value)
    if kind == NUMBER:
        return bool(value != 0)
    if kind == STRING:
        return str(value) != ""
    return True


def try_to_number(value: Any) -> int | float | None:
    """Number conversion (Boolean 0/1, Null 0, String parsed), or None when not convertible."""
    kind = kind_of(value)
    if kind == NUMBER:
        if isinstance(value, decimal.Decimal):
            return _decimal_to_number(value)
        return value  # type: ignore[no-any-return]
    if kind == STRING:
        return parse_number_text(str(value))
    if kind == BOOLEAN:
        return 1 if value else 0
    if kind == NULL:
        return 0
    return None


def to_number(value: Any, *, location: Location | None = None) -> float:
    """Number conversion per the casting table; raises ExpressionError when not convertible."""
    number = try_to_number(value)
    if number is None:
        raise cast_error(value, NUMBER, location)
    return float(number)


def try_to_version(value: Any) -> Version | None:
    """Version conversion: Version.TryParse of the text of a number or string."""
    kind = kind_of(value)
    if kind == VERSION:
        return value  # type: ignore[no-any-return]
    if kind == NUMBER:
        return Version.parse(format_number(value))
    if kind == STRING:
        return Version.parse(str(value))
    return None


def try_to_datetime(value: Any) -> _dt.datetime | None:
    """DateTime conversion: only DateTime values and parseable strings."""
    kind = kind_of(value)
    if kind == DATETIME:
        return _aware(value)
    if kind == STRING:
        return parse_datetime(str(value))
    return None


def equals(left: Any, right: Any) -> bool:
    """`eq`: the right value is converted to the left's kind; a failed conversion is unequal.

    Strings compare ordinal-ignore-case; arrays and objects only equal themselves (reference).
    """
    kind = kind_of(left)
    if kind == STRING:
        text = try_to_string(right)
        if text is None:
            return False
        return left == text or fold(str(left)) == fold(text)
    if kind == NUMBER:
        number = try_to_number(right)
        if number is None:
            return False
        if isinstance(left, decimal.Decimal):
            left = _decimal_to_number(left)
        return bool(left == number)
    if kind == BOOLEAN:
        return bool(left) == to_bool(right)
    if kind == NULL:
        return right is None or (kind_of(right) == STRING and str(right) == "")
    if kind == VERSION:
        return bool(left == try_to_version(right))
    if kind == DATETIME:
        other = try_to_datetime(right)
        return other is not None and _aware(left) == other
    return left is right


def compare(left: Any, right: Any, *, location: Location | None = None) -> int:
    """`gt`/`ge`/`lt`/`le`: -1, 0 or 1 after converting right to left's kind.

    Null, arrays and objects on the left are first converted to a number (Null is 0, the others
    fail). Any failed conversion raises ExpressionError, as the docs say ("Errors if conversion
    fails").
    """
    a: Any
    b: Any
    kind = kind_of(left)
    if kind == STRING:
        text = try_to_string(right)
        if text is None:
            raise cast_error(right, STRING, location)
        a, b = fold(str(left)), fold(text)
    elif kind == BOOLEAN:
        a, b = bool(left), to_bool(right)
    elif kind == VERSION:
        version = try_to_version(right)
        if version is None:
            raise cast_error(right, VERSION, location)
        a, b = left, version
    elif kind == DATETIME:
        moment = try_to_datetime(right)
        if moment is None:
            raise cast_error(right, DATETIME, location)
        a, b = _aware(left), moment
    else:
        number = try_to_number(left)
        if number is None:
            raise cast_error(left, NUMBER, location)
        other = try_to_number(right)
        if other is None:
            raise cast_error(right, NUMBER, location)
        a, b = number, other
    return int(a > b) - int(a < b)


def utf16_length(text: str) -> int:
    """String length as .NET counts it (UTF-16 code units)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2
