"""cyclonedx-python-lib's CycloneDX 1.6 schema check (`JsonStrictValidator`), warmed up in a
helper process.

Importing jsonschema with its format checkers and compiling the 1.6 schema cost about as much as
the rest of `lumen sbom` together. A helper interpreter does that on the second core while this
process inventories, imports the model and builds the document; when the document is ready it
only has to be checked. One request, one answer, a JSON line each:
`{"op": "validate", "document": "..."}` → `{"valid": true}` or the validator's first error.

The verdict is the library's either way: if the helper cannot run (no interpreter, a broken
install) or does not answer in time, the same validator runs in this process.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import subprocess
import sys
from typing import Any, NamedTuple

# The CycloneDX 1.6 schemas use three string formats: date-time (rfc3339-validator), idn-email
# (checked by jsonschema itself) and iri-reference (rfc3987). jsonschema imports every optional
# format library it can find when it loads; the helper blocks the ones for formats these schemas
# never use (durations pull in arrow and dateutil), which saves most of its start-up. The three
# formats above keep their checkers: tests/sbom/test_sbom_validator.py proves a bad date-time and
# a bad IRI are still refused.
UNUSED_FORMAT_LIBRARIES = (
    "fqdn",
    "idna",
    "isoduration",
    "jsonpointer",
    "rfc3986_validator",
    "rfc3987_syntax",
    "uri_template",
    "webcolors",
)
_SCRIPT = (
    (
        "import sys\n"
        f"for name in {UNUSED_FORMAT_LIBRARIES!r}:\n"
        "    sys.modules.setdefault(name, None)\n"
    )
    + r"""
import json
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
validator = JsonStrictValidator(SchemaVersion.V1_6)
validator.validate_str('{"bomFormat": "CycloneDX", "specVersion": "1.6"}')  # compiles the schema
for line in sys.stdin:
    request = json.loads(line)
    error = validator.validate_str(request["document"])
    if error is None:
        answer = {"valid": True}
    else:
        data = error.data
        answer = {"valid": False, "message": getattr(data, "message", str(data)),
                  "path": getattr(data, "json_path", None)}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
"""
)


class Validation(NamedTuple):
    valid: bool
    message: str | None = None
    path: str | None = None


class WarmValidator:
    """Start early with `WarmValidator()`; `check(text)` once the document exists."""

    def __init__(self, *, timeout: float = 300.0) -> None:
        self.timeout = timeout
        self._process: subprocess.Popen[str] | None
        try:
            # -S skips site.py (its .pth processing is most of a bare start-up), so the helper
            # is given this process's import path and finds the same cyclonedx; -P keeps the
            # working directory off it (a stray `cyclonedx/` folder must not win).
            path = [p for p in sys.path if p]
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-S",
                    "-P",
                    "-c",
                    f"import sys; sys.path[:] = {path!r}\n" + _SCRIPT,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
            )
        except OSError:
            self._process = None

    def _ask(self, request: dict[str, Any]) -> Any:
        """One request, one answer line; None when the helper is gone or stuck (callers fall
        back to doing the work here)."""
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            return None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
            if os.name == "posix":  # select() on pipes is POSIX-only
                ready, _, _ = select.select([process.stdout], [], [], self.timeout)
                if not ready:
                    raise TimeoutError
            line = process.stdout.readline()
            return json.loads(line) if line else None
        except (OSError, ValueError):  # TimeoutError is an OSError
            self.close()
            return None

    def check(self, text: str) -> Validation:
        answer = self._ask({"op": "validate", "document": text})
        if isinstance(answer, dict) and "valid" in answer:
            return Validation(bool(answer["valid"]), answer.get("message"), answer.get("path"))
        return validate_here(text)

    def close(self) -> None:
        process = self._process
        if process is None:
            return
        self._process = None
        # Nothing more to ask: stop it now rather than wait for its interpreter to tear down.
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def validate_here(text: str) -> Validation:
    """The same check in this process."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is None:
        return Validation(True)
    data: Any = error.data
    return Validation(False, getattr(data, "message", str(data)), getattr(data, "json_path", None))


# The helper `prestart()` started and nobody has taken yet (at most one).
_prestarted: list[WarmValidator] = []


def prestart() -> None:
    """Start the helper now, before the command that will use it is even imported.

    The helper's start-up is the longest thing `lumen sbom` waits for, so the CLI calls this
    first thing (`lumen.cli`); `warm_validator()` hands the running helper over. A helper
    nobody takes (a usage error, `--help`) is stopped at exit.
    """
    if not _prestarted:
        helper = WarmValidator()
        atexit.register(helper.close)
        _prestarted.append(helper)


def warm_validator() -> WarmValidator:
    """The prestarted helper if there is one, else a new one; the caller closes it."""
    return _prestarted.pop() if _prestarted else WarmValidator()
