"""The seeded realistic corpus of profiles: :mod:`livegate.corpus`, re-exported here
so that ``bench/`` (``import corpus`` from this folder, or ``from bench import
corpus``) keeps its name for it."""

from livegate.corpus import *  # noqa: F403
from livegate.corpus import SEED, WARM_UP_SEED, __all__  # noqa: F401
