"""Generated names and keys shaped like Azure ML's (`keen_hat_7k2m4xq1`), and name validation."""

from __future__ import annotations

import re
import secrets
import string

from emulator.azureml.errors import AzArgumentError

_ADJECTIVES = (
    "amiable",
    "bold",
    "brave",
    "busy",
    "calm",
    "clever",
    "cool",
    "crisp",
    "eager",
    "elated",
    "epic",
    "frank",
    "gentle",
    "gifted",
    "great",
    "happy",
    "honest",
    "jolly",
    "joyful",
    "keen",
    "kind",
    "lemon",
    "loyal",
    "lucid",
    "mighty",
    "modest",
    "neat",
    "nice",
    "patient",
    "plucky",
    "polite",
    "quiet",
    "quirky",
    "sharp",
    "shy",
    "sincere",
    "stoic",
    "sunny",
    "swift",
    "tender",
    "tidy",
    "upbeat",
    "witty",
    "zen",
)
_NOUNS = (
    "apple",
    "arch",
    "bean",
    "boat",
    "bread",
    "brick",
    "cup",
    "date",
    "drum",
    "feather",
    "fig",
    "flower",
    "garden",
    "hat",
    "heart",
    "island",
    "kettle",
    "kite",
    "leaf",
    "lime",
    "loaf",
    "map",
    "moon",
    "nail",
    "napkin",
    "night",
    "owl",
    "pan",
    "pear",
    "pencil",
    "plum",
    "puppy",
    "river",
    "rock",
    "sail",
    "seed",
    "shoe",
    "snail",
    "spoon",
    "star",
    "tail",
    "tiger",
    "tomato",
    "vase",
    "wall",
    "yak",
)
_ALPHANUM = string.ascii_lowercase + string.digits
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_ENDPOINT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")


def generate_job_name() -> str:
    """adjective_noun_<10 random lowercase alphanumerics>, the way Azure ML names jobs."""
    suffix = "".join(secrets.choice(_ALPHANUM) for _ in range(10))
    return f"{secrets.choice(_ADJECTIVES)}_{secrets.choice(_NOUNS)}_{suffix}"


def generate_key() -> str:
    """A 32-character endpoint key (letters and digits, as Azure ML's are)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def check_asset_name(name: str, what: str) -> str:
    """Azure ML asset names: letters, digits, `-` and `_`, starting with a letter or digit."""
    if not _NAME_RE.match(name):
        raise AzArgumentError(
            f"invalid {what} name {name!r}",
            expected="letters, digits, '-' and '_', starting with a letter or digit, at most 255 characters",
        )
    return name


def check_endpoint_name(name: str, what: str = "endpoint") -> str:
    """Endpoint/deployment names: 3–32 characters, a letter first, letters, digits and '-'."""
    if not _ENDPOINT_RE.match(name):
        raise AzArgumentError(
            f"invalid {what} name {name!r}",
            expected="3 to 32 characters: a letter first, then letters, digits or '-', not ending with '-'",
        )
    return name
