"""pip's configuration translated for uv, so an environment comes from the places pip would use.

uv reads neither pip.conf nor PIP_* variables, yet a corporate mirror set there must stay the only
source of packages. `pip config list` gives pip's merged view of its files and variables; the options
`pip install` would take from it (sections `global`, then `install`, then the variables: pip's order of
precedence) are translated into uv's arguments and variables. What uv cannot do the same way is named,
and the build then falls back to pip.
"""

from __future__ import annotations

import ast
import ipaddress
import math
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

# pip's order of precedence for `pip install`: a later section overrides an earlier one
SECTIONS = ("global", "install", ":env:")
# pip's other names of one option (`--default-timeout` is `--timeout`…)
_ALIASES = {"default-timeout": "timeout", "pypi-url": "index-url", "log-file": "log", "local-log": "log"}
# Options that change neither what is installed nor where it comes from (pip's own output, its cache,
# its own checks, the interpreter it acts on: the build names that itself)
NEUTRAL = frozenset(
    {
        "cache-dir",
        "config-file",
        "disable-pip-version-check",
        "exists-action",
        "log",
        "no-cache-dir",
        "no-color",
        "no-input",
        "no-python-version-warning",
        "no-warn-conflicts",
        "no-warn-script-location",
        "progress-bar",
        "python",
        "quiet",
        "require-virtualenv",
        "resume-retries",
        "root-user-action",
        "verbose",
    }
)
# Options uv has no equivalent of, with why
_WHY = {"proxy": "uv takes a proxy only from the HTTPS_PROXY/HTTP_PROXY variables"}
_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})
_TRANSLATED = frozenset(
    {
        "cert",
        "client-cert",
        "constraint",
        "extra-index-url",
        "find-links",
        "index-url",
        "keyring-provider",
        "no-index",
        "pre",
        "retries",
        "timeout",
        "trusted-host",
    }
)
_CREDENTIALS_RE = re.compile(r"://([^:/@\s]+)(:[^@/\s]*)?@")


@dataclass(frozen=True)
class UvOptions:
    """What `uv pip install` needs to install from where pip would, and what it cannot do like pip."""

    arguments: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    untranslatable: tuple[str, ...]


def read_pip_config(python: str, env: Mapping[str, str]) -> dict[str, str]:
    """`pip config list` of `python`'s pip, with `env`: {"global.index-url": "…", ":env:.cert": "…"}."""
    listed = subprocess.run(
        [python, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=120,
        check=False,
    )
    if listed.returncode != 0:
        raise ValueError(f"`pip config list` failed: {(listed.stderr or listed.stdout).strip()[-500:]}")
    return parse_config_list(listed.stdout)


def parse_config_list(text: str) -> dict[str, str]:
    """Lines `section.key='value'` (the value is a Python literal) → {"section.key": "value"}."""
    entries: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, literal = line.partition("=")
        try:
            value = ast.literal_eval(literal) if sep else None
        except (ValueError, SyntaxError):
            value = None
        if not isinstance(value, str):
            raise ValueError(f"cannot read this line of `pip config list`: {line!r}")
        entries[name.strip()] = value
    return entries


def install_options(entries: Mapping[str, str]) -> dict[str, str]:
    """The options `pip install` takes from its configuration, by pip's precedence (empty values ignored)."""
    options: dict[str, str] = {}
    for section in SECTIONS:
        for name, value in entries.items():
            where, _, key = name.rpartition(".")
            key = key.lower().replace("_", "-").removeprefix("--")
            if where == section and value.strip():
                options[_ALIASES.get(key, key)] = value
    return options


def _flag(value: str) -> bool | None:
    lowered = value.strip().lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def _is_local(location: str) -> bool:
    scheme = urlsplit(location).scheme
    return scheme in ("", "file") or len(scheme) == 1  # a Windows drive letter is not a scheme


def _local_path(location: str) -> Path:
    return Path(url2pathname(urlsplit(location).path)) if location.startswith("file:") else Path(location)


def _is_secure(location: str, trusted: set[str]) -> bool:
    """pip's rule: HTTPS, files and loopback are secure; plain HTTP only to a trusted host (or host:port)."""
    parts = urlsplit(location)
    if parts.scheme != "http":
        return True
    host = parts.hostname or ""
    if host == "localhost" or parts.netloc.rpartition("@")[2] in trusted or host in trusted:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _whole_number(value: str) -> str | None:
    """pip takes seconds and retries as numbers; uv as whole ones (rounded up)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return str(math.ceil(number)) if math.isfinite(number) and number >= 0 else None


def to_uv(options: Mapping[str, str], environ: Mapping[str, str]) -> UvOptions:
    """uv's arguments and variables for pip's `options` (from `install_options`)."""
    arguments: list[str] = ["--index-strategy", "unsafe-best-match"]  # pip: best version of all indexes
    environment: list[tuple[str, str]] = []
    notes: list[str] = []
    refused: list[str] = []
    trusted = set(options.get("trusted-host", "").split())
    for host in sorted(trusted):
        arguments += ["--allow-insecure-host", host]
    locations = [("index-url", options["index-url"].strip())] if "index-url" in options else []
    locations += [
        (key, item) for key in ("extra-index-url", "find-links") for item in options.get(key, "").split()
    ]
    for key, location in locations:
        if not _is_secure(location, trusted):
            refused.append(
                f"{key} {redact(location)} is plain HTTP to a host that is not a trusted-host, which pip "
                "ignores and uv would use"
            )
        elif key == "find-links" and _is_local(location) and not _local_path(location).exists():
            notes.append(f"pip's find-links {location} does not exist: left out (pip ignores it too)")
        else:
            flag = {"index-url": "--default-index", "extra-index-url": "--index"}.get(key, "--find-links")
            arguments += [flag, location]
    for key, uv_flag in (("no-index", ("--no-index",)), ("pre", ("--prerelease", "allow"))):
        if key in options:
            value = _flag(options[key])
            if value is None:
                refused.append(f"{key} = {options[key]!r} is not a yes/no value")
            elif value:
                arguments += uv_flag
    for constraint in options.get("constraint", "").split():
        arguments += ["--constraint", constraint]
    cert = options.get("cert") or environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
    if cert:
        environment.append(("SSL_CERT_FILE", cert))
    else:
        arguments.append("--system-certs")  # pip (24.2+) trusts the system's certificate store
    if "client-cert" in options:
        environment.append(("SSL_CLIENT_CERT", options["client-cert"]))
    for key, variable in (("timeout", "UV_HTTP_TIMEOUT"), ("retries", "UV_HTTP_RETRIES")):
        if key in options:
            number = _whole_number(options[key])
            if number is None:
                refused.append(f"{key} = {options[key]!r} is not a number")
            else:
                environment.append((variable, number))
    provider = options.get("keyring-provider", "auto").strip()
    if provider == "subprocess":
        arguments += ["--keyring-provider", "subprocess"]
    elif provider not in ("auto", "disabled"):  # auto: pip asks no keyring when run with --no-input
        refused.append(f"keyring-provider = {provider!r} (uv can only call the keyring command)")
    for key in sorted(set(options) - _TRANSLATED - NEUTRAL):
        refused.append(f"{key} ({_WHY.get(key, 'uv has no equivalent')})")
    return UvOptions(tuple(arguments), tuple(environment), tuple(notes), tuple(refused))


def redact(text: str) -> str:
    """As pip shows URLs: `https://user:secret@host` → `https://user:****@host`, `https://token@host` →
    `https://****@host`, so logs never hold a password or a token."""
    return _CREDENTIALS_RE.sub(lambda m: f"://{m.group(1)}:****@" if m.group(2) else "://****@", text)
