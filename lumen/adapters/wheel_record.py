"""A wheel's files and their SHA-256, from its `RECORD`, checked against the files themselves.

The wheel spec has every file of a wheel listed in `<name>.dist-info/RECORD` with its hash; an
SBOM that copies those hashes without checking them would vouch for whatever the RECORD says,
so each one is recomputed from the archive and a mismatch is an error.
"""

from __future__ import annotations

import hashlib
import zipfile

from gates.errors import InputError
from release.sbom import record_entries


def wheel_files(path: str) -> list[tuple[str, str]]:
    """(path inside the wheel, SHA-256 hex) for every file its RECORD lists with a hash; none
    for a file that only has a wheel's name (not a zip: its own hashes are all there is)."""
    if not zipfile.is_zipfile(path):
        return []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable wheel (zip): {exc}", file=path) from None
    with archive:
        records = [
            name
            for name in archive.namelist()
            if name.count("/") == 1 and name.endswith(".dist-info/RECORD")
        ]
        if len(records) != 1:
            raise InputError(
                f"has {len(records)} .dist-info/RECORD files",
                file=path,
                expected="exactly one, as the wheel spec requires",
            )
        where = f"{path}!/{records[0]}"
        entries = record_entries(archive.read(records[0]).decode("utf-8", "replace"), where)
        out = []
        for inner, alg, digest in entries:
            if alg not in hashlib.algorithms_guaranteed or alg in {"md5", "sha1"}:
                raise InputError(
                    f"{inner}: hash algorithm {alg!r}",
                    file=where,
                    expected="sha256 or stronger (the wheel spec forbids md5 and sha1)",
                )
            try:
                content = archive.read(inner)
            except KeyError:
                raise InputError(
                    f"lists {inner!r}, which the wheel does not hold", file=where
                ) from None
            actual = hashlib.new(alg, content).hexdigest()
            if actual != digest:
                raise InputError(
                    f"{inner}: RECORD says {alg} {digest}, the file's is {actual}", file=where
                )
            out.append((inner, digest if alg == "sha256" else hashlib.sha256(content).hexdigest()))
        return out
