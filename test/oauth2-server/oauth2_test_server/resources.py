"""Protected resources: each validates the bearer token through django-oauth-toolkit (OAuthLibCore).

- balance: a refused token gets 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750, section 3.1).
- balance_refusing_with_403: the same resource on a server that answers a refused token with 403 and the same header.
- admin_settings: needs the "admin" scope, which no token of the tests has: a valid token gets a plain 403, a
  permission error (like EnKash's "APIs not enabled"); a refused token gets the 401 above.

DOT's own ProtectedResourceView answers every refusal with a bare 403, which says nothing about the token: not used.
"""
from django.http import JsonResponse
from django.views.decorators.http import require_GET
from oauth2_provider.oauth2_backends import get_oauthlib_core

REALM = "oauth2-test-server"


def _refusal(status, request):
    """A refusal as RFC 6750 has it: no error code when no token was sent, `invalid_token` otherwise."""
    if "HTTP_AUTHORIZATION" not in request.META:
        response = JsonResponse({"error": "unauthorized"}, status=status)
        response["WWW-Authenticate"] = f'Bearer realm="{REALM}"'
        return response
    description = "The access token is invalid, expired or revoked"
    response = JsonResponse({"error": "invalid_token", "error_description": description}, status=status)
    response["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
    return response


def _valid_token(request):
    """The request's access token, as DOT's model, when DOT accepts it; None otherwise."""
    valid, oauthlib_request = get_oauthlib_core().verify_request(request, scopes=[])
    return oauthlib_request.access_token if valid else None


def _balance(token):
    return JsonResponse(
        {
            "response_code": 0,
            "response_message": "Success",
            "payload": {"balance": 1000.0, "user": token.user.get_username()},
        }
    )


@require_GET
def balance(request):
    token = _valid_token(request)
    return _balance(token) if token is not None else _refusal(401, request)


@require_GET
def balance_refusing_with_403(request):
    token = _valid_token(request)
    return _balance(token) if token is not None else _refusal(403, request)


@require_GET
def admin_settings(request):
    token = _valid_token(request)
    if token is None:
        return _refusal(401, request)
    if not token.allow_scopes(["admin"]):
        return JsonResponse({"response_code": 403, "response_message": "APIs not enabled"}, status=403)
    return JsonResponse({"response_code": 0, "response_message": "Success", "payload": {}})
