"""Starts the tests' OAuth2 server on 127.0.0.1: migrates (or copies a migrated template), seeds, serves.

    OAUTH2_SERVER_DB=/tmp/x/db.sqlite3 /usr/bin/python3 manage.py serve_oauth2 --port 8000

Read from the environment, besides the settings' variables:
- OAUTH2_SERVER_TEMPLATE_DB: a migrated, empty database to copy when OAUTH2_SERVER_DB does not exist yet; written
  after migrating when it does not exist either, so that later servers skip the migrations.
- OAUTH2_SERVER_CLIENT_ID, OAUTH2_SERVER_CLIENT_SECRET: the confidential application (password grant, HTTP Basic).
- OAUTH2_SERVER_USERNAME, OAUTH2_SERVER_PASSWORD: its one user.

A database that exists already (a server started again) is kept as it is, tokens and all, and seeded again.
The server is Django's threaded development server (what `runserver --noreload` runs), with a longer listen queue.
"""
import os
import sqlite3
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.servers.basehttp import WSGIServer, run
from django.core.wsgi import get_wsgi_application
from django.db import connection
from oauth2_provider.models import get_application_model


class Command(BaseCommand):
    help = "Starts the tests' OAuth2 server (django-oauth-toolkit) on 127.0.0.1."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True)

    def handle(self, *args, port, **options):
        database = Path(settings.DATABASES["default"]["NAME"])
        if not database.name:
            raise SystemExit("OAUTH2_SERVER_DB is not set: the path of this server's SQLite file")
        prepare_database(database, os.environ.get("OAUTH2_SERVER_TEMPLATE_DB", ""))
        seed()
        connection.close()
        run("127.0.0.1", port, get_wsgi_application(), threading=True, server_cls=ListeningServer)


class ListeningServer(WSGIServer):
    # Django's 10 pending connections would drop some of a burst of callers' first connections (a SYN retried 1 s later).
    request_queue_size = 128


def prepare_database(database, template):
    if database.exists():
        return
    if template and Path(template).exists():
        copy_database(Path(template), database)
        return
    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    connection.close()
    if template:
        copy_database(database, Path(template))


def copy_database(source, target):
    """Copies an SQLite file through SQLite's backup API (consistent whatever its WAL holds), atomically."""
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    with sqlite3.connect(source) as source_db, sqlite3.connect(partial) as partial_db:
        source_db.backup(partial_db)
    source_db.close()
    partial_db.close()
    os.replace(partial, target)


def seed():
    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(username=os.environ["OAUTH2_SERVER_USERNAME"])
    user.set_password(os.environ["OAUTH2_SERVER_PASSWORD"])
    user.save()
    application_model = get_application_model()
    application_model.objects.update_or_create(
        client_id=os.environ["OAUTH2_SERVER_CLIENT_ID"],
        defaults={
            "name": "nestjs-enkash-auth tests",
            "user": user,
            "client_secret": os.environ["OAUTH2_SERVER_CLIENT_SECRET"],
            "client_type": application_model.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": application_model.GRANT_PASSWORD,
        },
    )
