"""Test-only bookkeeping: what the server received and answered, read and cleared by the tests over HTTP.

GET /test/stats answers, as JSON:
- tokenRequests: every request to the token endpoint, oldest first: {"grant": the form's grant_type, "status": the
  HTTP status answered, "error": the OAuth2 error code of the answer (null when none, e.g. for a 500 page), "at":
  epoch milliseconds when it was received};
- tokenRequestsByGrant: {grant: {status: count}};
- revocations: {status: count} of the revocation endpoint;
- resourceCalls: {path: {status: count}} of every other request outside /test/;
- issuedTokens: every access and refresh token the token endpoint handed out, so that a test can check that none of
  them shows up in a log line or an error.
POST /test/reset forgets all of it.

No real server has these endpoints: they exist so that a test can count what a user would notice.
"""
import json
import threading
import time

from django.http import JsonResponse

TOKEN_PATH = "/o/token/"
REVOCATION_PATH = "/o/revoke_token/"
STATS_PATH = "/test/stats"
RESET_PATH = "/test/reset"

_lock = threading.Lock()
_token_requests = []
_revocations = {}
_resource_calls = {}
_issued_tokens = []


def _count(counts, key):
    counts[key] = counts.get(key, 0) + 1


def _json_fields(response):
    """The fields of a JSON object answer, or {}."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return {}
    try:
        fields = json.loads(response.content)
    except ValueError:
        return {}
    return fields if isinstance(fields, dict) else {}


def _stats():
    with _lock:
        by_grant = {}
        for request in _token_requests:
            _count(by_grant.setdefault(request["grant"], {}), str(request["status"]))
        return {
            "tokenRequests": list(_token_requests),
            "tokenRequestsByGrant": by_grant,
            "revocations": dict(_revocations),
            "resourceCalls": {path: dict(counts) for path, counts in _resource_calls.items()},
            "issuedTokens": list(_issued_tokens),
        }


def _reset():
    with _lock:
        _token_requests.clear()
        _revocations.clear()
        _resource_calls.clear()
        _issued_tokens.clear()


class BookkeepingMiddleware:
    """Answers /test/stats and /test/reset itself, and counts every other request with the status it was answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == STATS_PATH and request.method == "GET":
            return JsonResponse(_stats())
        if request.path == RESET_PATH and request.method == "POST":
            _reset()
            return JsonResponse({})
        received_at = time.time() * 1000
        response = self.get_response(request)
        if request.path == TOKEN_PATH:
            grant = request.POST.get("grant_type", "") if request.method == "POST" else ""
            fields = _json_fields(response)
            error = fields.get("error")
            entry = {
                "grant": grant,
                "status": response.status_code,
                "error": error if isinstance(error, str) else None,
                "at": received_at,
            }
            tokens = [fields[name] for name in ("access_token", "refresh_token") if isinstance(fields.get(name), str)]
            with _lock:
                _token_requests.append(entry)
                _issued_tokens.extend(tokens)
        elif request.path == REVOCATION_PATH:
            with _lock:
                _count(_revocations, str(response.status_code))
        else:
            with _lock:
                _count(_resource_calls.setdefault(request.path, {}), str(response.status_code))
        return response
