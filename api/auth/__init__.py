"""Authentication and authorisation of the API: roles, identities, the request guard.

* ``roles``: the three roles and what each may do (Django-free).
* ``identity``: who a request is, from a bearer token or a Django session.
* ``middleware``: ``APIGuardMiddleware``, which checks Host, Origin, credentials, role and
  body type before a view parses anything, and writes the audit trail.
* ``websocket``: the same checks for the ``/api/live`` websocket.

The per-operation table lives next to the routers, in ``api.routers.permissions``.
"""
