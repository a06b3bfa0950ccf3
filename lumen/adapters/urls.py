"""Credentials in URLs: taken out before a URL is stored, printed or written anywhere.

`https://user:secret@prom.example/` works with requests, but the URL then reaches error
messages, the sampler's history and `--json` results. `split_userinfo` turns it into a clean
URL plus basic-auth credentials; `redact` is for URLs that are only shown.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """(URL without `user:password@`, (user, password) or None)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, (unquote(user), unquote(password))


def redact(text: str) -> str:
    """`text` with the userinfo of every URL in it replaced by `***@`."""
    return _USERINFO.sub("***@", text)
