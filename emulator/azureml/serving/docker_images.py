"""Images built from the emulator's reproducible build contexts, cached by context digest.

A context (see `packaging.write_context`) has a digest over its inputs. An image built from it carries
that digest, the base image it was really built on and the source commit as labels, so a later build
with the same inputs finds it and reuses it (no `docker build` at all: a cache hit keeps the image
id). Builds use the classic builder through the SDK's low-level API with host networking (there is no
bridge on these machines), and the context is sent as a tar whose Dockerfile names the base actually
used: the Dockerfile on disk keeps the environment's own `FROM`, so the shipped context stays true.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import extras
from emulator.azureml.assets.records import locked
from emulator.azureml.context import Sink
from emulator.azureml.errors import AzError
from emulator.azureml.serving import base_images, dockerlint
from emulator.azureml.serving.base_images import BaseImage
from emulator.azureml.serving.docker_daemon import Daemon

LABEL_PREFIX = "org.mlops-emulator"
LABEL_DIGEST = f"{LABEL_PREFIX}.context-digest"
LABEL_BASE_ID = f"{LABEL_PREFIX}.base-image-id"
LABEL_BASE_USED = f"{LABEL_PREFIX}.base-image-used"
LABEL_BASE_REQUESTED = f"{LABEL_PREFIX}.base-image-requested"
LABEL_COMMIT = "org.opencontainers.image.revision"
LABEL_LINT = f"{LABEL_PREFIX}.hadolint"
# Files the emulator keeps beside the context that are not part of it (records, logs).
NOT_CONTEXT = ("package.json", "build.log")
COMMIT_ARG = "SOURCE_COMMIT"


@dataclass(frozen=True)
class BuiltImage:
    """An image ready to run: how it was obtained and what it is."""

    image_id: str
    tag: str
    cache_hit: bool
    seconds: float
    size: int
    base: BaseImage
    commit: str
    lint: dict[str, Any]
    build_log: str | None

    def as_record(self) -> dict[str, Any]:
        return {
            "image": self.tag,
            "image_id": self.image_id,
            "cache_hit": self.cache_hit,
            "build_seconds": round(self.seconds, 1),
            "size_bytes": self.size,
            "base_image": self.base.as_record(),
            "source_commit": self.commit,
            "hadolint": self.lint,
            "build_log": self.build_log,
        }


def source_commit(*folders: Path | None) -> str:
    """Build.SourceVersion (`BUILD_SOURCEVERSION` in a step's env), else `git rev-parse HEAD` in the
    first of `folders` (then the working directory) that is inside a git repository."""
    value = os.environ.get("BUILD_SOURCEVERSION", "").strip()
    if value:
        return value
    for folder in (*folders, None):
        try:
            done = subprocess.run(
                ["git", "rev-parse", "HEAD"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    return "unknown"


def dockerfile_from(text: str) -> str:
    """The image named by the Dockerfile's first FROM."""
    for line in text.splitlines():
        words = line.split()
        if words and words[0].upper() == "FROM" and len(words) > 1:
            return words[1]
    raise AzError("the generated Dockerfile has no FROM line")


def _retarget(text: str, requested: str, used: str) -> str:
    lines = text.splitlines(True)
    for index, line in enumerate(lines):
        words = line.split()
        if words and words[0].upper() == "FROM" and len(words) > 1 and words[1] == requested:
            lines[index] = line.replace(requested, used, 1)
            break
    return "".join(lines)


def context_tar(context: Path, base: BaseImage) -> io.BytesIO:
    """The build context as a tar, files owned by root and world-readable, FROM pointing at `base.used`."""
    buffer = io.BytesIO()

    def readable(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mode |= 0o555 if info.isdir() else 0o444
        return info

    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(context.rglob("*")):
            relative = path.relative_to(context).as_posix()
            if relative in NOT_CONTEXT or relative == "Dockerfile":
                continue
            tar.add(path, arcname=relative, recursive=False, filter=readable)
        text = (context / "Dockerfile").read_text(encoding="utf-8")
        data = _retarget(text, base.requested, base.used).encode()
        info = readable(tarfile.TarInfo("Dockerfile"))
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def find_image(daemon: Daemon, digest: str, base_id: str, commit: str) -> Any | None:
    """An image already built from this context digest, on this base, at this commit."""
    labels = [f"{LABEL_DIGEST}={digest}", f"{LABEL_BASE_ID}={base_id}", f"{LABEL_COMMIT}={commit}"]
    found = daemon.client.images.list(filters={"label": labels})
    return found[0] if found else None


def reuse(daemon: Daemon, reference: str) -> BuiltImage | None:
    """An existing image (by id or tag) described from its labels, or None if the daemon lacks it."""
    from docker.errors import ImageNotFound

    started = time.monotonic()
    try:
        image = daemon.client.images.get(reference)
    except ImageNotFound:
        return None
    labels = (image.attrs.get("Config") or {}).get("Labels") or {}
    requested = str(labels.get(LABEL_BASE_REQUESTED) or "")
    used = str(labels.get(LABEL_BASE_USED) or requested)
    base = BaseImage(
        requested=requested,
        used=used,
        image_id=str(labels.get(LABEL_BASE_ID) or ""),
        substituted=bool(requested) and used != requested,
        reason="as recorded on the image when it was built",
    )
    tags = list(image.tags or [])
    return BuiltImage(
        image_id=str(image.id),
        tag=reference if reference in tags or not tags else str(tags[0]),
        cache_hit=True,
        seconds=time.monotonic() - started,
        size=int(image.attrs.get("Size") or 0),
        base=base,
        commit=str(labels.get(LABEL_COMMIT) or "unknown"),
        lint={"status": "cached", "label": labels.get(LABEL_LINT)},
        build_log=None,
    )


def lint_context(
    context: Path, ignore: tuple[str, ...], *, strict: bool, warn: Sink | None
) -> dockerlint.LintReport:
    """hadolint the context's Dockerfile; strict (packages) raises on findings, else they are warned."""
    dockerfile = context / "Dockerfile"
    report = dockerlint.lint(dockerfile, ignore)
    if report.skipped and warn:
        warn(f"the Dockerfile was not linted: {report.skipped} (pip install {extras.install_spec('docker')})")
    for finding in report.waived:
        if warn:
            warn(f"hadolint finding waived: {finding.render(dockerfile)}")
    if strict:
        dockerlint.require_clean(report, dockerfile)
    elif report.findings and warn:
        for finding in report.findings:
            warn(f"hadolint: {finding.render(dockerfile)}")
    return report


def ensure_image(
    daemon: Daemon,
    context: Path,
    *,
    digest: str,
    tag: str,
    commit: str,
    lint: dockerlint.LintReport | Callable[[], dockerlint.LintReport],
    progress: Sink | None = None,
    warn: Sink | None = None,
    force: bool = False,
) -> BuiltImage:
    """The image for `context`: reused when one with the same digest/base/commit exists, else built.

    `force` builds from scratch: no reuse and no layer cache (what a first build on a clean daemon does).

    `lint` is a report, or a function giving one that is only called when a build is needed (an image
    found in the cache was linted when it was built: its `hadolint` label says how it fared).
    """
    started = time.monotonic()
    requested = dockerfile_from((context / "Dockerfile").read_text(encoding="utf-8"))
    base = base_images.resolve_base_image(daemon.client, requested, progress)
    if base.substituted and warn:
        warn(f"base image substituted: {base.reason}")
    lock_dir = Path(tempfile.gettempdir()) / "mlops-emulator"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with locked(lock_dir / f"build-{_environment_key(context, base)}"):
        existing = None if force else find_image(daemon, digest, base.image_id, commit)
        if existing is not None:
            if tag not in existing.tags:
                repository, _, version = tag.rpartition(":")
                existing.tag(repository, version)
            if progress:
                progress(f"Image {tag} reused (same context digest, base and commit): {existing.id}\n")
            labels = (existing.attrs.get("Config") or {}).get("Labels") or {}
            return BuiltImage(
                image_id=str(existing.id),
                tag=tag,
                cache_hit=True,
                seconds=time.monotonic() - started,
                size=int(existing.attrs.get("Size") or 0),
                base=base,
                commit=commit,
                lint=lint.as_record()
                if isinstance(lint, dockerlint.LintReport)
                else {"status": "cached", "label": labels.get(LABEL_LINT)},
                build_log=None,
            )
        report = lint if isinstance(lint, dockerlint.LintReport) else lint()
        lint_label = "clean" if report.clean else ("skipped" if report.skipped else "findings")
        if report.waived:
            lint_label += " (waived " + ",".join(sorted({f.code for f in report.waived})) + ")"
        log_path = context.parent / f"{context.name}.build.log"
        image_id = _build(daemon, context, base, tag, commit, digest, lint_label, log_path, progress, force)
    image = daemon.client.images.get(image_id)
    seconds = time.monotonic() - started
    if progress:
        progress(f"Image {tag} built in {seconds:.0f} s: {image.id}\n")
    return BuiltImage(
        image_id=str(image.id),
        tag=tag,
        cache_hit=False,
        seconds=seconds,
        size=int(image.attrs.get("Size") or 0),
        base=base,
        commit=commit,
        lint=report.as_record(),
        build_log=str(log_path),
    )


def _environment_key(context: Path, base: BaseImage) -> str:
    """What the environment layer depends on: the base image and the environment files.

    Builds are serialised by it, not by the whole context's digest: two models on one environment built
    at once would each install its pip dependencies; one after the other, the second reuses the layer."""
    hasher = hashlib.sha256(base.image_id.encode())
    for path in sorted((context / "environment").rglob("*")):
        if path.is_file():
            hasher.update(path.relative_to(context).as_posix().encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()[:16]


def _build(
    daemon: Daemon,
    context: Path,
    base: BaseImage,
    tag: str,
    commit: str,
    digest: str,
    lint_label: str,
    log_path: Path,
    progress: Sink | None,
    nocache: bool = False,
) -> str:
    from docker.errors import APIError

    labels = {
        LABEL_DIGEST: digest,
        LABEL_BASE_ID: base.image_id,
        LABEL_BASE_USED: base.used,
        LABEL_BASE_REQUESTED: base.requested,
        LABEL_LINT: lint_label,
    }
    if progress:
        progress(f"Building image {tag} from {context} (FROM {base.used})…\n")
    image_id: str | None = None
    error: str | None = None
    with open(log_path, "w", encoding="utf-8") as log:
        try:
            stream = daemon.client.api.build(
                fileobj=context_tar(context, base),
                custom_context=True,
                tag=tag,
                rm=True,
                forcerm=True,
                nocache=nocache,
                network_mode="host",
                buildargs={COMMIT_ARG: commit},
                labels=labels,
                decode=True,
                timeout=3600,
            )
            for chunk in stream:
                text = str(chunk.get("stream") or "")
                if text:
                    log.write(text)
                    log.flush()
                    if progress and text.startswith("Step "):
                        progress(text if text.endswith("\n") else text + "\n")
                if "error" in chunk:
                    error = str(chunk.get("error") or "").strip()
                    log.write(f"ERROR: {error}\n")
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("ID"):
                    image_id = str(aux["ID"])
                if text.startswith("Successfully built "):
                    image_id = image_id or text.split()[-1]
        except APIError as exc:
            error = str(exc)
            log.write(f"ERROR: {error}\n")
    if error or image_id is None:
        tail = "".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines(True)[-25:])
        raise AzError(
            f"docker build of {tag} failed: {error or 'no image was produced'}",
            hint=f"build log {log_path}:\n{tail.rstrip()}",
        )
    return image_id
