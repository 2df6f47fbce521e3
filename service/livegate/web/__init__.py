"""The web page: a blueprint (routes and view models in :mod:`.views`, the form in
:mod:`.form`, the page's words in :mod:`.site`, the requirement diagram in
:mod:`.diagram`, templates and static files beside them)."""

from .views import CSP, web

__all__ = ["CSP", "web"]
