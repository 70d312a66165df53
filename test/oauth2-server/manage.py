#!/usr/bin/env python3
"""Django's command-line utility for the tests' OAuth2 server (run it with Debian's /usr/bin/python3).

    /usr/bin/python3 manage.py serve_oauth2 --port 8000

See oauth2_test_server/management/commands/serve_oauth2.py for what it starts and the variables it reads.
"""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oauth2_test_server.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
