"""pip's configuration (`pip config list` lines) translated for uv: the same indexes, links, constraints and
certificates, and a refusal (the build then uses pip) for what uv cannot do the same way.

pip's rules followed: sections `global` < `install` < PIP_* variables; list options split on whitespace;
plain HTTP only to a trusted host or loopback; `--no-input` builds consult no keyring in `auto` mode.
[DOC https://pip.pypa.io/en/stable/topics/configuration/]
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.azureml.compute.pipconfig import install_options, parse_config_list, redact, to_uv

BEST = ("--index-strategy", "unsafe-best-match")
SYSTEM = ("--system-certs",)

# (case, `pip config list` lines, other variables, uv arguments, uv variables, refusal or note wanted)
CASES = [
    (
        "this machine's kind of setup: the variable's find-links wins, and a missing one is left out",
        "global.cert='/etc/ssl/certs/ca-certificates.crt'\n"
        "global.constraint='/etc/xdg/pip/constraints.txt'\n"
        "global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'\n"
        "global.find-links='{tmp}'\n"
        ":env:.default-timeout='180'\n"
        ":env:.disable-pip-version-check='1'\n"
        ":env:.find-links='{tmp}/missing'\n",
        {},
        (
            *BEST,
            "--index",
            "file:///opt/pypi/simple",
            "--index",
            "file:///opt/pypi-more/simple",
            "--constraint",
            "/etc/xdg/pip/constraints.txt",
        ),
        (("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"), ("UV_HTTP_TIMEOUT", "180")),
        "note: pip's find-links {tmp}/missing does not exist",
    ),
    (
        "index-url is the default index; extra-index-url, one per line, are added indexes",
        "global.index-url='https://mirror.example/simple'\n"
        "install.extra-index-url='\\nhttps://a.example/simple\\nhttps://b.example/simple'\n",
        {},
        (
            *BEST,
            "--default-index",
            "https://mirror.example/simple",
            "--index",
            "https://a.example/simple",
            "--index",
            "https://b.example/simple",
            *SYSTEM,
        ),
        (),
        None,
    ),
    (
        "install overrides global, PIP_* variables override both; pypi-url is index-url",
        "global.index-url='https://global.example/simple'\n"
        "install.index-url='https://install.example/simple'\n"
        "global.no-index='true'\n"
        ":env:.no-index='off'\n"
        ":env:.pypi-url='https://env.example/simple'\n",
        {},
        (*BEST, "--default-index", "https://env.example/simple", *SYSTEM),
        (),
        None,
    ),
    (
        "another command's section and empty values are not pip install's",
        "download.proxy='http://proxy.example:3128'\nfreeze.prefer-binary='1'\nglobal.index-url=''\n",
        {},
        (*BEST, *SYSTEM),
        (),
        None,
    ),
    (
        "no-index, pre-releases and find-links (a folder and a URL)",
        "global.no-index='yes'\nglobal.pre='1'\nglobal.find-links='file://{tmp} https://links.example/'\n",
        {},
        (
            *BEST,
            "--find-links",
            "file://{tmp}",
            "--find-links",
            "https://links.example/",
            "--no-index",
            "--prerelease",
            "allow",
            *SYSTEM,
        ),
        (),
        None,
    ),
    (
        "a missing find-links file URL is left out too",
        "global.find-links='file:///nowhere/wheels'\n",
        {},
        (*BEST, *SYSTEM),
        (),
        "note: pip's find-links file:///nowhere/wheels does not exist",
    ),
    (
        "trusted hosts may serve plain HTTP; so may loopback",
        "global.trusted-host='mirror.corp other.corp:8080'\n"
        "global.index-url='http://mirror.corp/simple'\n"
        "global.extra-index-url='http://other.corp:8080/simple http://localhost:8000/simple "
        "http://127.0.0.1:9000/simple'\n",
        {},
        (
            *BEST,
            "--allow-insecure-host",
            "mirror.corp",
            "--allow-insecure-host",
            "other.corp:8080",
            "--default-index",
            "http://mirror.corp/simple",
            "--index",
            "http://other.corp:8080/simple",
            "--index",
            "http://localhost:8000/simple",
            "--index",
            "http://127.0.0.1:9000/simple",
            *SYSTEM,
        ),
        (),
        None,
    ),
    (
        "plain HTTP to an untrusted host: pip ignores that index, uv would not",
        "global.extra-index-url='http://mirror.corp/simple'\n",
        {},
        None,
        None,
        "refused: extra-index-url http://mirror.corp/simple is plain HTTP",
    ),
    (
        "a proxy set for pip",
        "global.proxy='http://proxy.corp:3128'\n",
        {},
        None,
        None,
        "refused: proxy (uv takes a proxy only from the HTTPS_PROXY/HTTP_PROXY variables)",
    ),
    (
        "an option uv has no equivalent of",
        "install.prefer-binary='true'\n",
        {},
        None,
        None,
        "refused: prefer-binary (uv has no equivalent)",
    ),
    (
        "a yes/no option that is neither",
        "global.no-index='maybe'\n",
        {},
        None,
        None,
        "refused: no-index = 'maybe' is not a yes/no value",
    ),
    (
        "keyring: the command is uv's too; auto asks nothing in a --no-input build",
        "global.keyring-provider='subprocess'\n",
        {},
        (*BEST, *SYSTEM, "--keyring-provider", "subprocess"),
        (),
        None,
    ),
    ("keyring auto", "global.keyring-provider='auto'\n", {}, (*BEST, *SYSTEM), (), None),
    (
        "keyring imported into pip's own process",
        "global.keyring-provider='import'\n",
        {},
        None,
        None,
        "refused: keyring-provider = 'import'",
    ),
    (
        "certificates: pip's cert wins over requests' variable; a client certificate",
        "global.cert='/corp/ca.pem'\nglobal.client-cert='/corp/me.pem'\n",
        {"REQUESTS_CA_BUNDLE": "/other/ca.pem"},
        BEST,
        (("SSL_CERT_FILE", "/corp/ca.pem"), ("SSL_CLIENT_CERT", "/corp/me.pem")),
        None,
    ),
    (
        "requests' CA bundle variable, which pip honours without a cert",
        "",
        {"REQUESTS_CA_BUNDLE": "/other/ca.pem"},
        BEST,
        (("SSL_CERT_FILE", "/other/ca.pem"),),
        None,
    ),
    (
        "timeout and retries as whole numbers",
        "global.timeout='2.5'\n:env:.retries='0'\n",
        {},
        (*BEST, *SYSTEM),
        (("UV_HTTP_TIMEOUT", "3"), ("UV_HTTP_RETRIES", "0")),
        None,
    ),
    ("a timeout that is no number", "global.timeout='soon'\n", {}, None, None, "refused: timeout = 'soon'"),
    (
        "options of pip's own output and checks change nothing",
        ":env:.disable-pip-version-check='1'\nglobal.progress-bar='off'\nglobal.no-cache-dir='true'\n"
        ":env:.config-file='/tmp/pip.conf'\nglobal.root-user-action='ignore'\n",
        {},
        (*BEST, *SYSTEM),
        (),
        None,
    ),
]


@pytest.mark.parametrize(
    ("lines", "environ", "arguments", "environment", "wanted"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_pip_configuration_translates_to_uv(
    tmp_path: Path,
    lines: str,
    environ: dict[str, str],
    arguments: tuple[str, ...] | None,
    environment: tuple[tuple[str, str], ...] | None,
    wanted: str | None,
) -> None:
    def here(text: str) -> str:
        return text.replace("{tmp}", str(tmp_path))

    uv = to_uv(install_options(parse_config_list(here(lines))), environ)
    said = [f"note: {n}" for n in uv.notes] + [f"refused: {r}" for r in uv.untranslatable]
    if arguments is not None:
        assert uv.arguments == tuple(here(a) for a in arguments) and uv.untranslatable == ()
        assert uv.environment == environment
    if wanted is None:
        assert said == []
    else:
        assert any(line.startswith(here(wanted)) for line in said), said


@pytest.mark.parametrize("line", ["global.index-url", "global.index-url=https://x", "global.retries=3"])
def test_lines_pip_did_not_write_are_refused(line: str) -> None:
    with pytest.raises(ValueError, match="cannot read this line"):
        parse_config_list(line + "\n")


def test_passwords_never_reach_a_log() -> None:
    command = (
        "uv pip install --default-index https://me:s3cr%40t@pkgs.example/simple --index https://x/simple "
        "--index https://T0KEN@feeds.example/simple"
    )
    assert redact(command) == (
        "uv pip install --default-index https://me:****@pkgs.example/simple --index https://x/simple "
        "--index https://****@feeds.example/simple"
    )
    refusal = to_uv(install_options({"global.index-url": "http://me:s3cret@mirror.corp/simple"}), {})
    assert refusal.untranslatable and "s3cret" not in refusal.untranslatable[0]
