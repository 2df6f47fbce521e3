"""The security headers every response carries: the API's JSON, the ``/docs/`` page, the web
page and the errors the server writes itself (:mod:`livegate.http.worker`).

Each response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY``, ``Cross-Origin-Opener-Policy`` and ``Cross-Origin-Resource-Policy``
``same-origin``, a ``Permissions-Policy`` that allows none of the features the page never uses,
and a Content-Security-Policy with ``frame-ancestors 'none'``:

- the web page's (:data:`PAGE_CSP`): nothing but this server, no inline script or style;
- the API's (:data:`API_CSP`): nothing at all (JSON is never a document to run);
- ``/docs/`` (:func:`docs_csp`): Swagger UI's own files from this server, its one inline
  script by hash, the inline styles its widgets set, and calls to this server only.
"""

from __future__ import annotations

import base64
import hashlib
import re

__all__ = ["API_CSP", "API_HEADERS", "COMMON", "PAGE_CSP", "docs_csp"]

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""Content-Security-Policy of every page: nothing but this server, no inline script or style."""

API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
"""Content-Security-Policy of JSON and every other response that is not a page."""

COMMON: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
"""Headers every response carries besides its Content-Security-Policy: no sniffing, no referrer,
no framing, no window of another site that keeps a handle on the page's, no page of another site
embedding a response, and none of the browser features the page never uses (a security review)."""

API_HEADERS: tuple[tuple[str, str], ...] = (*COMMON.items(), ("Content-Security-Policy", API_CSP))
"""Every security header of a response that is not a page."""

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def docs_csp(body: bytes) -> str:
    """The Content-Security-Policy of a ``/docs/`` page whose HTML is ``body``: its inline
    scripts are allowed by their SHA-256, nothing else inline runs."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
