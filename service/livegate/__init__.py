"""livegate — which WeChat mini-program service categories let you stream live.

The rules live in ``facts/`` and ``logic/`` as ASP and are solved by clingo;
this package is the thin Python around them. Its public surface:

* :class:`Engine` — a knowledge base grounded once; ``evaluate(profile)`` answers;
* :class:`Knowledge` and :class:`Catalogue` — the knowledge base and what ``facts/`` declares;
* :class:`Profile` and :class:`ProfileError` — a validated request, and why one is refused;
* :class:`EvaluationTimeout` — an evaluation stopped at its time bound.

The HTTP API is :func:`livegate.http.create_app`; the command line is ``livegate``.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from .engine import Engine
from .kb import Catalogue, Knowledge, KnowledgeError
from .profile import Profile, ProfileError
from .solver import EvaluationTimeout

try:
    __version__ = _version("livegate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without an install
    __version__ = "0.0.0"

__all__ = [
    "Catalogue",
    "Engine",
    "EvaluationTimeout",
    "Knowledge",
    "KnowledgeError",
    "Profile",
    "ProfileError",
    "__version__",
]
