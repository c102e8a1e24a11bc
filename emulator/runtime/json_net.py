"""JSON as the service's parser (Json.NET) reads it: what a `matrix: $[ ... ]` value may hold."""

from __future__ import annotations

import json
from typing import Any


def lenient_json(text: str) -> Any:
    """JSON as the service's parser (Json.NET) reads it: single-quoted strings are accepted too, as in
    the docs' `{'a':{'myvar':'A'}}` matrix example."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif c == "'":
            end = i + 1
            chars: list[str] = []
            while end < len(text) and text[end] != "'":
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                chars.append(text[end])
                end += 1
            out.append(json.dumps("".join(chars)))
            i = end + 1
        else:
            out.append(c)
            i += 1
    return json.loads("".join(out))
