"""Base images for builds on a machine with no registry: the real one if present, else a stand-in.

An Azure ML environment names a registry image (`mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04`).
With no registry to pull from, the emulator builds on a local stand-in of the same kind — a Linux
userland with the Python the environment asks for — made with `mmdebstrap` (or `debootstrap`) from
the Debian mirror this machine's apt uses and imported into the daemon (cached by tag: built once per
daemon). No Ubuntu archive is used, so Ubuntu-based images are stood in for by Debian 12 (bookworm),
whose Python is 3.11. The substitution is returned to the caller to state in the step log and the record.

The bootstrapped root filesystem is also kept as a tar beside the environment cache
(`$MLOPS_ENV_CACHE/../docker/`), so a fresh daemon (CI starts one per run) imports it in seconds.

A user can name their own replacement: `MLOPS_BASE_IMAGES="REQUESTED=LOCAL[,REQUESTED=LOCAL…]"`
(`*=LOCAL` for every image that is not present). `MLOPS_STANDIN_MIRROR` overrides the Debian mirror.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.assets.records import locked
from emulator.azureml.compute.envbuild import cache_dir
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzError

MAP_ENV = "MLOPS_BASE_IMAGES"
MIRROR_ENV = "MLOPS_STANDIN_MIRROR"
STANDIN_SUITE = "bookworm"
STANDIN_PYTHON = "3.11"
STANDIN_TAG = f"mlops-emulator/standin:debian12-python{STANDIN_PYTHON}"
STANDIN_LABEL = "org.mlops-emulator.standin"
STANDIN_PACKAGES = ("python3", "python3-venv", "ca-certificates", "passwd")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
_APT_SOURCES = (Path("/etc/apt/sources.list.d"), Path("/etc/apt/sources.list"))


@dataclass(frozen=True)
class BaseImage:
    """The base a build uses: what the environment asked for, what was used, and why."""

    requested: str
    used: str
    image_id: str
    substituted: bool
    reason: str
    python: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "used": self.used,
            "image_id": self.image_id,
            "substituted": self.substituted,
            "reason": self.reason,
            "python": self.python,
        }


def family(image: str) -> str:
    """A human name for the OS family an image reference implies (for the substitution message)."""
    match = re.search(r"ubuntu[-_]?(\d\d)\.?(\d\d)", image)
    if match:
        release = f"{match.group(1)}.{match.group(2)}"
        names = {"20.04": "focal", "22.04": "jammy", "24.04": "noble"}
        return f"Ubuntu {release}" + (f" ({names[release]})" if release in names else "")
    if "bookworm" in image or image.startswith("python:"):
        return "Debian"
    return "Linux"


def overrides() -> dict[str, str]:
    """`MLOPS_BASE_IMAGES` as {requested: local}; `*` applies to every image not present."""
    result: dict[str, str] = {}
    for item in re.split(r"[,\s]+", os.environ.get(MAP_ENV, "").strip()):
        if not item:
            continue
        requested, sep, local = item.rpartition("=")
        if not sep or not requested or not local:
            raise AzError(f"{MAP_ENV}: invalid entry {item!r}", expected="REQUESTED=LOCAL pairs, or *=LOCAL")
        result[requested] = local
    return result


def apt_mirror() -> str:
    """`$MLOPS_STANDIN_MIRROR`, else the first Debian mirror of this machine's apt sources."""
    configured = os.environ.get(MIRROR_ENV)
    if configured:
        return configured.rstrip("/")
    for source in _APT_SOURCES:
        files = sorted(source.glob("*")) if source.is_dir() else [source]
        for path in files:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for uri in re.findall(r"(?:^URIs:|^deb)\s+(?:\[[^\]]*\]\s+)?(\S+)", text, re.M):
                if re.search(r"/debian/?$", uri) and "security" not in uri:
                    return str(uri).rstrip("/")
    return DEFAULT_MIRROR


def _local(client: Any, name: str) -> Any | None:
    from docker.errors import ImageNotFound

    try:
        return client.images.get(name)
    except ImageNotFound:
        return None


def _python_of(image: Any) -> str | None:
    labels = (image.attrs.get("Config") or {}).get("Labels") or {}
    value = labels.get(f"{STANDIN_LABEL}.python")
    return str(value) if value else None


def resolve_base_image(client: Any, requested: str, log: Sink | None = None) -> BaseImage:
    """The image to build FROM for `requested`; builds the stand-in when nothing else is there."""
    mapped = overrides()
    if requested in mapped:
        return _use_override(client, requested, mapped[requested], "named in " + MAP_ENV)
    present = _local(client, requested)
    if present is not None:
        return BaseImage(requested, requested, str(present.id), False, "present locally", _python_of(present))
    if "*" in mapped:
        return _use_override(client, requested, mapped["*"], f"{MAP_ENV} maps every missing image to it")
    image = ensure_standin(client, log)
    reason = (
        f"{requested} cannot be pulled here (no container registry); stand-in {STANDIN_TAG}: Debian 12 "
        f"({STANDIN_SUITE}) minbase with Python {STANDIN_PYTHON}, bootstrapped from "
        f"{apt_mirror()}, for the {family(requested)} family (no Ubuntu archive is used here). "
        f"Point {MAP_ENV}='{requested}=<local image>' at your own image to use it instead"
    )
    return BaseImage(requested, STANDIN_TAG, str(image.id), True, reason, _python_of(image))


def _use_override(client: Any, requested: str, local: str, why: str) -> BaseImage:
    image = _local(client, local)
    if image is None:
        raise AzError(
            f"base image {local!r} ({why} for {requested}) is not present in the Docker daemon",
            hint=f"build or load it first (docker build/load/import), or change {MAP_ENV}",
        )
    return BaseImage(requested, local, str(image.id), local != requested, f"{why}", _python_of(image))


def ensure_standin(client: Any, log: Sink | None = None) -> Any:
    """The stand-in image, built now (bootstrap + import, under a minute) if the daemon lacks it."""
    image = _local(client, STANDIN_TAG)
    if image is not None:
        return image
    lock_dir = Path(tempfile.gettempdir()) / "mlops-emulator"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with locked(lock_dir / "standin-build"):
        image = _local(client, STANDIN_TAG)  # built by a concurrent command while we waited
        if image is not None:
            return image
        return _build_standin(client, log)


def standin_archive() -> Path:
    """Where the stand-in's root filesystem tar is kept between daemons."""
    return (
        cache_dir(Context.current()).parent
        / "docker"
        / f"{STANDIN_TAG.rpartition('/')[2].replace(':', '-')}.tar"
    )


def _import(client: Any, archive: Path, origin: str) -> None:
    repository, _, tag = STANDIN_TAG.rpartition(":")
    changes = [
        f'LABEL {STANDIN_LABEL}="debian {STANDIN_SUITE} minbase bootstrapped from {origin}"',
        f"LABEL {STANDIN_LABEL}.python={STANDIN_PYTHON}",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8",
        'CMD ["/bin/bash"]',
    ]
    client.api.import_image_from_file(str(archive), repository=repository, tag=tag, changes=changes)


def _bootstrapper() -> tuple[str, list[str]] | None:
    """The tool that makes the root filesystem tar, and how to call it (`{rootfs}`/`{tar}` to fill in).

    mmdebstrap (apt's parallel downloads, one dpkg pass, the tar written directly, also without root)
    takes about half of debootstrap's time; debootstrap (root only) is the fallback."""
    include = "--include=" + ",".join(STANDIN_PACKAGES)
    mmdebstrap = shutil.which("mmdebstrap")
    if mmdebstrap:
        return "mmdebstrap", [mmdebstrap, "--variant=minbase", include, STANDIN_SUITE, "{tar}"]
    debootstrap = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").is_file() else None
    )
    if debootstrap and os.geteuid() == 0:
        return "debootstrap", [debootstrap, "--variant=minbase", include, STANDIN_SUITE, "{rootfs}"]
    return None


def _build_standin(client: Any, log: Sink | None) -> Any:
    mirror = apt_mirror()
    started = time.monotonic()
    kept = standin_archive()
    if kept.is_file():
        if log:
            log(f"Importing the stand-in base image {STANDIN_TAG} from {kept}\n")
        _import(client, kept, mirror)
        return client.images.get(STANDIN_TAG)
    tool = _bootstrapper()
    if tool is None:
        raise AzError(
            f"cannot build the stand-in base image {STANDIN_TAG}: neither mmdebstrap nor debootstrap "
            "(as root) is available",
            hint=f"apt-get install -y mmdebstrap (or debootstrap, run as root), or set {MAP_ENV}='*=<a local "
            "image>' (an image with python3 and python3-venv)",
        )
    name, command = tool
    if log:
        log(
            f"Building the stand-in base image {STANDIN_TAG} with {name} ({STANDIN_SUITE}, {mirror}); "
            "once per machine, a minute or less…\n"
        )
    work = Path(tempfile.mkdtemp(prefix="mlops-standin-"))
    rootfs, archive, out = work / "rootfs", work / "rootfs.tar", work / f"{name}.log"
    try:
        filled = [part.format(rootfs=rootfs, tar=archive) for part in command] + [mirror]
        with open(out, "w", encoding="utf-8") as handle:
            done = subprocess.run(filled, stdout=handle, stderr=subprocess.STDOUT, timeout=1800, check=False)
        if done.returncode != 0:
            tail = "".join(out.read_text(encoding="utf-8", errors="replace").splitlines(True)[-15:])
            raise AzError(
                f"{name} {STANDIN_SUITE} from {mirror} failed (exit code {done.returncode})",
                hint=f"{name} said:\n{tail.rstrip()}\n(set {MIRROR_ENV} to another Debian mirror)",
            )
        if name == "debootstrap":  # mmdebstrap leaves no apt caches and writes the tar itself
            for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for entry in (rootfs / leftover).glob("*"):
                    if entry.is_file():
                        entry.unlink()
            subprocess.run(
                ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."],
                check=True,
                timeout=600,
            )
        _import(client, archive, f"{mirror} ({name})")
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            staging = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
            shutil.move(str(archive), staging)
            os.replace(staging, kept)
        except OSError:
            pass  # keeping the tar only saves time later
    finally:
        shutil.rmtree(work, ignore_errors=True)
    image = client.images.get(STANDIN_TAG)
    if log:
        log(f"Stand-in base image {STANDIN_TAG} built in {time.monotonic() - started:.0f} s\n")
    return image
