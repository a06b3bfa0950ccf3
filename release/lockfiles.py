"""Readers of requirements and lock files, from TEXT to SBOM components (docs/reference.md#sbom).

Pure parsing: the caller reads the file (and follows `-r` includes); these functions only see
strings. Supported: pip requirements (`name==version`, `--hash`), `poetry.lock`, `uv.lock` and
PEP 751 `pylock.toml`. Errors name the file, the line where one is known, and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gates.errors import InputError
from release.sbom import Component, requirement_name

LOCK_KINDS = ("requirements", "poetry", "uv", "pylock")


def kind_of(path: str) -> str:
    """Which reader a file name calls for: by its name, requirements as the fallback."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if base == "poetry.lock":
        return "poetry"
    if base == "uv.lock":
        return "uv"
    if base == "pylock.toml" or (base.startswith("pylock.") and base.endswith(".toml")):
        return "pylock"
    return "requirements"


@dataclass(frozen=True)
class Parsed:
    """Components found in one file, the project it locks (when it says), and its includes."""

    components: tuple[Component, ...]
    root: Component | None = None
    includes: tuple[str, ...] = ()


def parse(kind: str, text: str, file: str) -> Parsed:
    if kind == "requirements":
        return parse_requirements(text, file)
    if kind == "poetry":
        return parse_poetry_lock(text, file)
    if kind == "uv":
        return parse_uv_lock(text, file)
    if kind == "pylock":
        return parse_pylock(text, file)
    raise ValueError(f"unknown lock kind {kind!r}")


# --- requirements files --------------------------------------------------------------------

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*"
    r"(?:===?\s*(?P<version>[A-Za-z0-9.!+_*-]+))?"
)
_HASH = re.compile(r"--hash[=\s]\s*(?P<alg>[A-Za-z0-9_]+):(?P<digest>[0-9A-Fa-f]+)")
_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(?P<path>\S+)")
_OPTION_ONLY = re.compile(r"^-{1,2}[A-Za-z]")


def parse_requirements(text: str, file: str) -> Parsed:
    """pip requirements: one requirement per logical line, `--hash` values become hashes.

    Only `==`/`===` pins carry a version; other specifiers give a component without one (the
    NTIA report then shows the gap). `-r`/`-c` includes are returned for the caller to read;
    `-e`/URL lines are local or remote sources, not PyPI releases, so they carry no purl.
    """
    comps: list[Component] = []
    includes: list[str] = []
    for lineno, line in _logical_lines(text):
        include = _INCLUDE.match(line)
        if include:
            if line.startswith(("-r", "--requirement")):
                includes.append(include.group("path"))
            continue
        hashes = tuple(
            (m.group("alg").lower(), m.group("digest").lower()) for m in _HASH.finditer(line)
        )
        _check_hashes(line, file, lineno)
        body = _HASH.sub("", line).strip()
        editable = body.startswith(("-e ", "--editable"))
        if editable:
            body = body.split(None, 1)[1] if " " in body else ""
        elif _OPTION_ONLY.match(body):
            continue  # --index-url, --extra-index-url, --no-binary …: not components
        body = body.split(";", 1)[0].strip()
        if not body:
            continue
        if "://" in body or body.startswith((".", "/", "file:")):
            name = _egg_name(body)
            if name is None:
                continue  # a path or URL with no name: nothing to put in the bill
            comps.append(_req_component(name, None, hashes, file, purl=False))
            continue
        match = _PIN.match(body)
        if not match:
            raise InputError(
                f"cannot read requirement {body!r}",
                file=file,
                line=lineno,
                expected="a requirement such as name==1.2.3 [--hash=sha256:…]",
            )
        remote = " @ " in body or body.split("@", 1)[0].strip() == match.group("name")
        comps.append(
            _req_component(
                match.group("name"),
                match.group("version"),
                hashes,
                file,
                purl=not (editable or (remote and "@" in body)),
            )
        )
    return Parsed(tuple(comps), includes=tuple(includes))


def _check_hashes(line: str, file: str, lineno: int) -> None:
    """A `--hash` that is not ALG:HEX is an error, never silently dropped: pip would refuse
    it, and an SBOM without it would claim less than the lock pins. (A hex digest of the
    wrong length is caught by the CycloneDX schema when the document is checked.)"""
    leftover = re.search(r"--hash(?:[=\s]\s*(?P<value>\S*))?", _HASH.sub("", line))
    if leftover is None:
        return
    raise InputError(
        f"--hash {leftover.group('value') or ''!r} is not a hash",
        file=file,
        line=lineno,
        field="--hash",
        expected="ALGORITHM:HEXDIGEST, e.g. sha256: and 64 hex digits",
    )


def _req_component(
    name: str, version: str | None, hashes: tuple[tuple[str, str], ...], file: str, *, purl: bool
) -> Component:
    return Component(name=name, version=version, hashes=hashes, purl=purl, sources=(file,))


def _egg_name(body: str) -> str | None:
    match = re.search(r"#egg=([A-Za-z0-9._-]+)", body)
    if match:
        return match.group(1)
    if " @ " in body:
        return requirement_name(body)
    return None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with `\\` continuations joined and comments dropped; numbered by first line."""
    out: list[tuple[int, str]] = []
    buffer = ""
    start = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not buffer:
            start = lineno
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            out.append((start, buffer.strip()))
        buffer = ""
    if buffer.strip():
        out.append((start, buffer.strip()))
    return out


# --- TOML lock files -----------------------------------------------------------------------


def load_toml(text: str, file: str) -> dict[str, Any]:
    """Parse TOML; a syntax error names the file and line (3.11's tomllib puts them only in
    the message, `(at line 3, column 5)`)."""
    import tomllib  # here, not at the top: an environment-only run never pays for it

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        line = int(where.group(1)) if where else None
        if where:
            message = f"{message[: where.start()]} at column {where.group(2)}"
        raise InputError(f"not valid TOML ({message})", file=file, line=line) from None


_toml = load_toml


def _packages(doc: Mapping[str, Any], key: str, file: str, expected: str) -> list[dict[str, Any]]:
    packages = doc.get(key)
    if packages is None:
        return []
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise InputError("must be an array of tables", file=file, field=key, expected=expected)
    for index, package in enumerate(packages):
        if not isinstance(package.get("name"), str) or not package["name"]:
            raise InputError(
                "missing or empty", file=file, field=f"{key}[{index}].name", expected="a string"
            )
        version = package.get("version")
        if version is not None and not isinstance(version, str):
            raise InputError(
                f"is {type(version).__name__}",
                file=file,
                field=f"{key}[{index}].version",
                expected="a version string",
            )
    return packages


def _split_hash(value: Any) -> tuple[str, str] | None:
    """`sha256:abc…` → (`sha256`, `abc…`)."""
    if isinstance(value, str) and ":" in value:
        alg, digest = value.split(":", 1)
        return alg.lower(), digest.lower()
    return None


def _dep_names(deps: Any) -> tuple[str, ...]:
    if isinstance(deps, Mapping):  # poetry: {name = "^1.0"}
        return tuple(str(name) for name in deps)
    if isinstance(deps, list):  # uv / pylock: [{name = "x"}]
        return tuple(
            str(d["name"])
            for d in deps
            if isinstance(d, Mapping) and isinstance(d.get("name"), str)
        )
    return ()


def parse_poetry_lock(text: str, file: str) -> Parsed:
    """`poetry.lock` (1.x and 2.x): packages, their dependencies and file hashes."""
    doc = _toml(text, file)
    packages = _packages(doc, "package", file, "[[package]] tables with name and version")
    legacy = ((doc.get("metadata") or {}).get("files")) or {}
    comps = []
    for package in packages:
        files = package.get("files") or legacy.get(package["name"]) or []
        hashes = tuple(
            h for f in files if isinstance(f, Mapping) and (h := _split_hash(f.get("hash")))
        )
        source = package.get("source") or {}
        local = isinstance(source, Mapping) and source.get("type") in {
            "directory",
            "file",
            "git",
            "url",
        }
        comps.append(
            Component(
                name=package["name"],
                version=package.get("version"),
                description=package.get("description") or None,
                hashes=hashes,
                requires=_dep_names(package.get("dependencies")),
                purl=not local,
                sources=(file,),
            )
        )
    return Parsed(tuple(comps))


def parse_uv_lock(text: str, file: str) -> Parsed:
    """`uv.lock`: packages with sdist and wheel hashes; the editable/virtual one is the root."""
    doc = _toml(text, file)
    packages = _packages(doc, "package", file, "[[package]] tables with name and version")
    comps = []
    root: Component | None = None
    for package in packages:
        source = package.get("source") or {}
        artifacts = [package.get("sdist"), *(package.get("wheels") or [])]
        hashes = tuple(
            h for a in artifacts if isinstance(a, Mapping) and (h := _split_hash(a.get("hash")))
        )
        requires = _dep_names(package.get("dependencies"))
        local = isinstance(source, Mapping) and bool(
            {"editable", "virtual", "directory", "path", "git", "url"} & set(source)
        )
        comp = Component(
            name=package["name"],
            version=package.get("version"),
            hashes=hashes,
            requires=requires,
            purl=not local,
            sources=(file,),
        )
        if isinstance(source, Mapping) and source.get("editable", source.get("virtual")) == ".":
            root = Component(
                name=comp.name,
                version=comp.version,
                kind="application",
                requires=requires,
                sources=(file,),
            )
            continue
        comps.append(comp)
    return Parsed(tuple(comps), root=root)


def parse_pylock(text: str, file: str) -> Parsed:
    """PEP 751 `pylock.toml`: `[[packages]]` with wheels/sdist/archive hashes tables."""
    doc = _toml(text, file)
    lock_version = doc.get("lock-version")
    if not isinstance(lock_version, str) or not lock_version.startswith("1."):
        raise InputError(
            f"unsupported lock-version {lock_version!r}",
            file=file,
            field="lock-version",
            expected='"1.0" (PEP 751)',
        )
    packages = _packages(doc, "packages", file, "[[packages]] tables with a name")
    comps = []
    for package in packages:
        tables: list[Any] = [
            package.get("sdist"),
            package.get("archive"),
            *(package.get("wheels") or []),
        ]
        hashes = tuple(
            (str(alg).lower(), str(digest).lower())
            for table in tables
            if isinstance(table, Mapping)
            for alg, digest in (table.get("hashes") or {}).items()
        )
        local = bool({"directory", "vcs"} & set(package)) or (
            "archive" in package and "path" in (package.get("archive") or {})
        )
        comps.append(
            Component(
                name=package["name"],
                version=package.get("version"),
                hashes=hashes,
                requires=_dep_names(package.get("dependencies")),
                purl=not local,
                sources=(file,),
            )
        )
    return Parsed(tuple(comps))
