"""Django's SQLite backend, made safe for a threaded server whose requests write concurrently.

Django starts a transaction with a plain BEGIN: SQLite takes the write lock only at the first write, and a transaction
that has read already is refused at once ("database is locked") if another one wrote meanwhile, whatever the timeout.
BEGIN IMMEDIATE takes the write lock first, so concurrent writers wait for each other instead (OPTIONS' timeout); WAL
lets readers (token checks of the protected resource) go on while one writes. Nothing of django-oauth-toolkit changes.
"""
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def _start_transaction_under_autocommit(self):
        self.cursor().execute("BEGIN IMMEDIATE")
