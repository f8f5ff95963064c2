"""The baseline: a Django view that parses the same JSON body and inserts one row, and no more.

No validation, serializer, throttle, identity, audit row or queue message: what is left is the
cost of Django itself (the same middleware as the product) and one INSERT.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.bareapp.models import BareRow


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    row = BareRow.objects.create(text=str(body.get("text", "")))
    return JsonResponse({"id": row.pk}, status=201)
