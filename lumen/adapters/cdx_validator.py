"""cyclonedx-python-lib's CycloneDX 1.6 schema check (`JsonStrictValidator`) and its SPDX
licence tables, warmed up in a helper process.

Importing jsonschema with its format checkers, compiling the 1.6 schema and building the SPDX
expression licensing (license-expression's index) cost about as much as the rest of
`lumen sbom` together. A helper interpreter does that on the second core while this process
inventories and imports the model. It answers two requests, one JSON line each:

- `{"op": "licenses", "strings": [...]}` → how the library's licence factory would read each
  string: `["id", "MIT"]`, `["expression", "MIT OR Apache-2.0"]` or `["name", "…"]` (the same
  steps as `LicenseFactory.make_from_string`: `cyclonedx.spdx.fixup_id`, then
  `cyclonedx.spdx.is_expression`, else a name);
- `{"op": "validate", "document": "..."}` → `{"valid": true}` or the validator's first error.

The answers are the library's either way: if the helper cannot run (no interpreter, a broken
install), the factory and the validator run in this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
import json, threading
from cyclonedx.spdx import fixup_id, is_expression
def load():
    # Validator imports in the background: the licence answer should not wait for them.
    global validator
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    validator.validate_str('{"bomFormat": "CycloneDX", "specVersion": "1.6"}')  # compile
loader = threading.Thread(target=load, daemon=True)
loader.start()
def classify(text):
    spdx_id = fixup_id(text)
    if spdx_id is not None:
        return ["id", spdx_id]
    if is_expression(text):
        return ["expression", text]
    return ["name", text]
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "licenses":
        answer = {s: classify(s) for s in request["strings"]}
    else:
        loader.join()
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


@dataclass
class Validation:
    valid: bool
    message: str | None = None
    path: str | None = None


class WarmValidator:
    """Start early with `WarmValidator()`; then `classify(strings)` and `check(text)`."""

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

    def classify(self, strings: Sequence[str]) -> dict[str, tuple[str, str]] | None:
        """How the licence factory reads each string, or None (then use the factory here)."""
        if not strings:
            return {}
        answer = self._ask({"op": "licenses", "strings": list(strings)})
        if not isinstance(answer, dict):
            return None
        kinds = {"id", "expression", "name"}
        out: dict[str, tuple[str, str]] = {}
        for text in strings:
            item = answer.get(text)
            if not (isinstance(item, list) and len(item) == 2 and item[0] in kinds):
                return None
            out[text] = (str(item[0]), str(item[1]))
        return out

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
