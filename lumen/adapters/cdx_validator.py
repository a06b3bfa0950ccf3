"""The official CycloneDX 1.6 JSON schema check (cyclonedx-python-lib's `JsonStrictValidator`),
warmed up in a helper process.

Importing jsonschema with its format checkers and compiling the 1.6 schema costs about as much
as the rest of `lumen sbom` together. A helper interpreter does that on the second core while
we inventory, build and serialize; when the document is ready it only has to be checked. The
verdict is the library's either way: if the helper cannot run (no interpreter, a broken
install), the same validator runs in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

# -P: no working directory on sys.path (a stray `cyclonedx/` folder must not win).
#
# The CycloneDX 1.6 schemas use three string formats: date-time (rfc3339-validator), idn-email
# (checked by jsonschema itself) and iri-reference (rfc3987). jsonschema imports every optional
# format library it can find when it loads; the helper blocks the ones for formats these schemas
# never use (durations pull in arrow and dateutil), which saves most of its start-up. The three
# formats above keep their checkers; tests prove a bad date-time and a bad IRI are still refused.
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
error = validator.validate_str(sys.stdin.read())
if error is None:
    json.dump({"valid": True}, sys.stdout)
else:
    data = error.data
    json.dump({"valid": False, "message": getattr(data, "message", str(data)),
               "path": getattr(data, "json_path", None)}, sys.stdout)
"""
)


@dataclass
class Validation:
    valid: bool
    message: str | None = None
    path: str | None = None


class WarmValidator:
    """Start early with `WarmValidator()`, then `check(text)` once the document exists."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None
        try:
            # -S skips site.py (its .pth processing is most of a bare start-up); the helper
            # gets this process's import path instead, so it finds the same cyclonedx.
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
            )
        except OSError:
            self._process = None

    def check(self, text: str) -> Validation:
        if self._process is not None:
            try:
                out, _ = self._process.communicate(text.encode("utf-8"), timeout=300)
                if self._process.returncode == 0:
                    answer: dict[str, Any] = json.loads(out)
                    return Validation(
                        bool(answer["valid"]), answer.get("message"), answer.get("path")
                    )
            except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
                self.close()
        return validate_here(text)

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


def validate_here(text: str) -> Validation:
    """The same check in this process."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is None:
        return Validation(True)
    data: Any = error.data
    return Validation(False, getattr(data, "message", str(data)), getattr(data, "json_path", None))
