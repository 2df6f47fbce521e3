"""The HTTP API's parts: configuration (:mod:`.config`), errors (:mod:`.errors`),
the decision resource every evaluation goes through (:mod:`.decisions`), the v1
blueprint (:mod:`.api`) and the OpenAPI document (:mod:`.openapi`). The app that
puts them together with the web page is :func:`livegate.app.create_app`."""
