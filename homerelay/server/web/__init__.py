"""HTTP surfaces and their guards: the v1 API (`api/`), the original endpoints, the web app's files,
sign-in, errors, CORS, body and rate limits.

May import `homerelay.server.relay` (to reach the services), `services` (their errors and inputs)
and `storage.serialize` (JSON at the edge); never `storage.db` or `storage.models`. Nothing but
`homerelay.server.create_app` imports this package.
"""
