"""Inventory of an installed Python environment, read by its own interpreter.

The target may be any interpreter (the user's venv, another Python version), so we do not
import its packages into ours: we run a short stdlib-only script in it (`-I`: no user site, no
PYTHONPATH, no current directory, so the answer is that environment and nothing else) and read
its JSON. `start()` returns at once so the caller can do other work (imports, lock files,
hashing) while the target walks its site-packages on the other core.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gates.errors import SourceError, UsageError

# Runs inside the target interpreter (Python 3.8+, stdlib only). It reads `*.dist-info/METADATA`
# (and legacy `*.egg-info`) headers straight off `sys.path` with the standard library's
# `email.parser` (as importlib.metadata does) instead of importing importlib.metadata and
# packaging: that halves its start-up, and the target need not have packaging. Markers are
# evaluated here, against the target's own platform, by a small
# evaluator of the PEP 508 marker grammar (versions compared as release tuples); a marker it
# cannot read keeps its requirement (an edge too many is safer than one missing).
SCRIPT = r"""
import json, os, re, sys, textwrap
from email.parser import HeaderParser
PARSER = HeaderParser()
norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
try:
    u = os.uname(); system, machine, release, pversion = u.sysname, u.machine, u.release, u.version
except AttributeError:
    import platform
    system, machine, release, pversion = (platform.system(), platform.machine(),
                                           platform.release(), platform.version())
impl = sys.implementation
iv = impl.version
ENV = {
    "python_version": "%d.%d" % sys.version_info[:2],
    "python_full_version": sys.version.split()[0],
    "os_name": os.name, "sys_platform": sys.platform, "platform_system": system,
    "platform_machine": machine, "platform_release": release, "platform_version": pversion,
    "platform_python_implementation": {"cpython": "CPython", "pypy": "PyPy"}.get(impl.name,
                                                                                 impl.name),
    "implementation_name": impl.name,
    "implementation_version": "%d.%d.%d" % (iv.major, iv.minor, iv.micro),
}
TOKEN = re.compile(r"\s*(\(|\)|===|==|!=|~=|<=|>=|<|>|not\s+in\b|in\b|and\b|or\b"
                   r"|'[^']*'|\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_.]*)")
def vtuple(v):
    out = []
    for part in v.split("."):
        m = re.match(r"\d+", part)
        if not m:
            break
        out.append(int(m.group()))
    return tuple(out)
def cmp(op, left, right):
    if op == "in": return left in right
    if op == "not in": return left not in right
    if op in ("==", "!=") and "*" in right:
        hit = vtuple(left)[:len(vtuple(right.rstrip(".*")))] == vtuple(right.rstrip(".*"))
        return hit if op == "==" else not hit
    if op == "===": return left == right
    a, b = vtuple(left), vtuple(right)
    if not a or not b or op in ("==", "!=") and not re.fullmatch(r"[\d.]+", left + right):
        a, b = left, right
    else:  # 3.11 == 3.11.0: pad releases to one length
        a, b = a + (0,) * (len(b) - len(a)), b + (0,) * (len(a) - len(b))
    if op == "~=":
        b2 = vtuple(right)
        return len(b2) > 1 and a >= b2 and a[:len(b2) - 1] == b2[:-1]
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
def evaluate(marker, extra):
    toks, pos = [], 0
    marker = marker.strip()
    while pos < len(marker):
        m = TOKEN.match(marker, pos)
        if not m: raise ValueError(marker)
        toks.append(m.group(1)); pos = m.end()
        while pos < len(marker) and marker[pos].isspace(): pos += 1
    toks.append(None)
    i = [0]
    def peek(): return toks[i[0]]
    def take(): i[0] += 1; return toks[i[0] - 1]
    def value():
        t = take()
        if t is None: raise ValueError(marker)
        if t[0] in "'\"": return t[1:-1]
        if t == "extra": return extra
        if t in ENV: return ENV[t]
        raise ValueError(t)
    def atom():
        if peek() == "(":
            take(); r = disj()
            if take() != ")": raise ValueError(marker)
            return r
        left = value(); op = re.sub(r"\s+", " ", take() or ""); right = value()
        if op not in ("in", "not in", "===", "==", "!=", "~=", "<=", ">=", "<", ">"):
            raise ValueError(op)
        if "extra" in (toks[i[0] - 3], toks[i[0] - 1]):
            return norm(left) == norm(right) if op == "==" else norm(left) != norm(right)
        return cmp(op, left, right)
    def conj():
        r = atom()
        while peek() == "and": take(); r = atom() and r
        return r
    def disj():
        r = conj()
        while peek() == "or": take(); r = conj() or r
        return r
    r = disj()
    if peek() is not None: raise ValueError(marker)
    return r
REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
EXTRA_ONLY = re.compile(r"\s*extra\s*==\s*(['\"])([^'\"]+)\1\s*$")
def parse_req(text, provided):
    m = REQ.match(text)
    if not m: return None
    extras = [norm(e.strip()) for e in (m.group(2) or "").split(",") if e.strip()]
    out = {"name": m.group(1), "extras": sorted(extras)}
    marker = text.split(";", 1)[1] if ";" in text else ""
    only_extra = EXTRA_ONLY.match(marker)
    if only_extra:  # the common `extra == "x"`: no need to evaluate it once per extra
        out["base"] = False
        out["extras_when"] = [e for e in provided if e == norm(only_extra.group(2))]
    elif marker.strip():
        try:
            out["base"] = bool(evaluate(marker, ""))
            if not out["base"]:
                # A marker that never names `extra` is false whatever the extra.
                named = "extra" in marker
                out["extras_when"] = [e for e in provided if named and evaluate(marker, e)]
        except Exception:
            out["marker_unreadable"] = marker.strip()
    return out
def headers(text):
    # The standard library's parser of the email-header format core metadata is written in
    # (importlib.metadata reads it the same way): continuation lines, even blank-looking ones
    # inside a pasted licence text, belong to their field.
    # Multi-line values are dedented as importlib.metadata dedents them (RFC 822 indentation).
    # Only the header block is parsed: it ends at the first empty line, where the parser would
    # stop too (a line of blanks is a continuation, not an end), and long READMEs after it
    # would otherwise be split into lines for nothing.
    fields = {}
    for key, value in PARSER.parsestr(re.split(r"\r?\n\r?\n", text, 1)[0] + "\n").items():
        value = str(value)
        if "\n" in value:
            value = textwrap.dedent(" " * 8 + value)
        fields.setdefault(key.lower(), []).append(value)
    return fields
def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f: return f.read()
    except OSError:
        return None
def egg_requires(text):
    out, section = [], ""
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"): continue
        if line.startswith("["):
            section = line[1:-1]; continue
        extra, _, marker = section.partition(":")
        conds = (["extra == '%s'" % extra] if extra else []) + (["(%s)" % marker] if marker else [])
        out.append(line + ("; " + " and ".join(conds) if conds else ""))
    return out
seen = set(); packages = []
for entry in sys.path:
    entry = entry or "."
    if not os.path.isdir(entry): continue
    try: names = sorted(os.listdir(entry))
    except OSError: continue
    for base in names:
        full = os.path.join(entry, base)
        if base.endswith(".dist-info"):
            meta, req_text = read(os.path.join(full, "METADATA")), None
        elif base.endswith(".egg-info"):
            if os.path.isdir(full):
                meta = read(os.path.join(full, "PKG-INFO"))
                req_text = read(os.path.join(full, "requires.txt"))
            else:
                meta, req_text = read(full), None
        else:
            continue
        if not meta: continue
        h = headers(meta)
        one = lambda k: (h.get(k) or [None])[0]
        name = one("name")
        if not name or norm(name) in seen: continue
        seen.add(norm(name))
        provided = [norm(e) for e in h.get("provides-extra", [])]
        reqs = h.get("requires-dist", []) if req_text is None else egg_requires(req_text)
        local, archive_hashes = False, {}
        direct = read(os.path.join(full, "direct_url.json")) if os.path.isdir(full) else None
        if direct:  # PEP 610: how it was installed; an archive's hash when pip was given one
            try:
                info = json.loads(direct)
                local = "dir_info" in info
                archive = info.get("archive_info") or {}
                archive_hashes = dict(archive.get("hashes") or {})
                if not archive_hashes and "=" in (archive.get("hash") or ""):
                    alg, _, digest = archive["hash"].partition("=")
                    archive_hashes = {alg: digest}
            except (ValueError, AttributeError, TypeError): pass
        packages.append({
            "name": name, "version": one("version"), "summary": one("summary"),
            "license_expression": one("license-expression"), "license": one("license"),
            "license_files": h.get("license-file", []),
            "classifiers": [c for c in h.get("classifier", []) if c.startswith("License ::")],
            "author": one("author"), "author_email": one("author-email"),
            "maintainer": one("maintainer"), "maintainer_email": one("maintainer-email"),
            "requires": [r for r in (parse_req(t, provided) for t in reqs) if r],
            "local": local, "archive_hashes": archive_hashes,
        })
json.dump({"python": sys.version.split()[0], "executable": sys.executable,
           "prefix": sys.prefix, "packages": packages}, sys.stdout)
"""


@dataclass
class Pending:
    """A running introspection; `result()` waits for it and parses its report."""

    python: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """End the probe if it is still running (a probe nobody will take)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def result(self, timeout: float = 300.0) -> dict[str, Any]:
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise SourceError(
                f"inventory did not finish within {timeout:g}s", file=self.python
            ) from None
        if self.process.returncode != 0:
            last = (err.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            raise SourceError(
                f"interpreter failed to list its distributions (exit {self.process.returncode}): "
                f"{last}",
                file=self.python,
            )
        try:
            report = json.loads(out)
        except ValueError:
            raise SourceError(
                "interpreter printed something that is not the inventory JSON", file=self.python
            ) from None
        if not isinstance(report, dict):
            raise SourceError("inventory is not a JSON object", file=self.python)
        return report


def resolve_python(python: str | None) -> str:
    """The interpreter to inventory: the given path or command, else the one running lumen.

    A virtual environment's folder (`.venv`) stands for its interpreter.
    """
    if not python:
        return sys.executable
    folder = Path(python)
    if folder.is_dir():
        for candidate in (folder / "bin" / "python", folder / "Scripts" / "python.exe"):
            if candidate.is_file():
                return str(candidate)
    found = shutil.which(python)
    if found is None:
        raise UsageError(
            f"--environment: no Python interpreter at {python!r}",
            expected="a path to python (for example .venv/bin/python) or a command on PATH",
        )
    return found


# A probe `prestart()` started before the command was parsed, and nobody has taken yet.
_prestarted: list[Pending] = []


def prestart(python: str | None) -> None:
    """Start the probe as early as the CLI knows which interpreter `lumen sbom` will read, so it
    runs while the parser and the command are imported; `start()` hands it over when asked for
    the same interpreter. A probe nobody takes is stopped at exit. Never raises: a bad
    interpreter is reported later, by the command, the usual way."""
    import atexit

    for stale in _prestarted:  # left by a run that ended before taking it (in-process callers)
        stale.stop()
    _prestarted.clear()
    try:
        pending = start(python)
    except Exception:  # the command reports a bad interpreter properly later
        return
    _prestarted.append(pending)

    def stop() -> None:
        if pending in _prestarted:
            pending.stop()

    atexit.register(stop)


def start(python: str | None) -> Pending:
    """Start inventorying `python` (None: the current interpreter) in the background."""
    exe = resolve_python(python)
    for pending in list(_prestarted):
        _prestarted.remove(pending)
        if pending.python == exe:
            return pending
        pending.stop()  # started for another interpreter: not this run's
    try:
        process = subprocess.Popen(
            [exe, "-I", "-c", SCRIPT],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise UsageError(
            f"--environment: cannot run {exe!r}: {exc.strerror}", expected="a Python interpreter"
        ) from None
    return Pending(exe, process)


def inventory(python: str | None) -> dict[str, Any]:
    """Inventory `python` and wait for the answer."""
    return start(python).result()
