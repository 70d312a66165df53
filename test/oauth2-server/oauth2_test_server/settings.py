"""Settings of the tests' OAuth2 server: django-oauth-toolkit's token and revocation endpoints, a protected resource.

Test-only: no secret key worth the name, no security middleware, a fast password hasher. Read from the environment:

- OAUTH2_SERVER_DB: the SQLite file of this server (required; one per server, in a temporary directory).
- OAUTH2_SERVER_ACCESS_TOKEN_SECONDS: the access tokens' lifetime (DOT's ACCESS_TOKEN_EXPIRE_SECONDS). Default: 36000.
- OAUTH2_SERVER_DEBUG: when set (non-empty), every request and every traceback is logged to stderr; otherwise the
  server logs nothing but a failure to start.
"""
import os

DEBUG_LOGS = os.environ.get("OAUTH2_SERVER_DEBUG", "") != ""
ACCESS_TOKEN_SECONDS = int(os.environ.get("OAUTH2_SERVER_ACCESS_TOKEN_SECONDS", "36000"))

SECRET_KEY = "test-only-oauth2-server-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "oauth2_test_server.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "oauth2_provider",
    "oauth2_test_server",
]

MIDDLEWARE = [
    "oauth2_test_server.bookkeeping.BookkeepingMiddleware",
    # Sets Content-Length, without which Django's server closes every connection after one answer (no keep-alive).
    "django.middleware.common.CommonMiddleware",
]

DATABASES = {
    "default": {
        # Django's SQLite backend, with write transactions that take the lock when they begin (see sqlite/base.py).
        "ENGINE": "oauth2_test_server.sqlite",
        "NAME": os.environ.get("OAUTH2_SERVER_DB", ""),
        "OPTIONS": {"timeout": 30},
    }
}

# Hashing a password with Django's default (PBKDF2, 260,000 rounds) costs a fraction of a second of CPU per password
# grant; the tests do not measure that.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": ACCESS_TOKEN_SECONDS,
    # DOT's defaults, spelled out because the tests rely on them: every refresh grant revokes the refresh token it
    # used (and its access token) and hands out a new pair; a used refresh token is refused at once.
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # A token without a scope gets "read write"; "admin" is the scope no token of the tests has.
    "SCOPES": {"read": "Reading", "write": "Writing", "admin": "Administration"},
    "DEFAULT_SCOPES": ["read", "write"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "DEBUG" if DEBUG_LOGS else "CRITICAL"},
    "loggers": {
        name: {"handlers": ["stderr"], "level": "DEBUG" if DEBUG_LOGS else "CRITICAL", "propagate": False}
        for name in ["django", "django.server", "django.request", "oauthlib", "oauth2_provider"]
    },
}
