"""The gateway: identity provider of the suite, router to the services, limits, merged OpenAPI.

A request to `/<service>/v1/...` goes to that service's `/v1/...` (edge.py → proxy.py):

- route table (route_table.py): one route per package under services/ with an app.py, at its
  component URL; FABRIQUE_GATEWAY_ROUTES (JSON `{name: url}` or `{name: {"url", "public"}}`)
  adds or replaces routes. Only `/v1` paths are routed.
- public routes: `GATEWAY_PUBLIC_ROUTES = [("GET", "/v1/services"), ...]` in a service's app.py
  (parsed, not imported); a path is a segment prefix, or a pattern with `{name}` segments.
- scope rule (domain/scopes.py), checked before the upstream is called: GET/HEAD/OPTIONS need any
  `<service>:` scope; other methods need `<service>:write`, `<service>:admin` or a finer scope
  ending in `:write`/`:admin`. The service then checks its own finer scopes on the token it gets.
- callers (callers.py): a bearer token (RS256, the gateway's own keys, revocations applied), an
  `X-Api-Key` (the upstream gets a short token minted for the key), or nobody on public routes.
"""
