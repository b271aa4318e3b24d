"""The write transaction of a request, scoped to its response.

``write_transaction(request)`` opens ``transaction.atomic()`` on the request's
response-scoped stack: everything the view writes commits after the view returns and
before the client sees the response (or rolls back if the view failed), so a 2xx answer
means the data is durable.
"""

from django.db import transaction

from api.utilities.server import response_scoped_dependency

write_transaction = response_scoped_dependency(transaction.atomic)
