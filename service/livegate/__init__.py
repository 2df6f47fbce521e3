"""livegate — which WeChat mini-program service categories let you stream live.

The rules live in ``facts/`` and ``logic/`` as ASP and are solved by clingo;
this package is the thin Python around them: the engine, the CLI and the API.
"""

from importlib.metadata import PackageNotFoundError, version as _version

from .engine import Engine, EvaluationTimeout
from .knowledge import Catalogue, Knowledge, KnowledgeError
from .profile import Profile, ProfileError

try:
    __version__ = _version("livegate")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["Engine", "EvaluationTimeout", "Catalogue", "Knowledge", "KnowledgeError",
           "Profile", "ProfileError", "__version__"]
