from django.apps import AppConfig


class Oauth2TestServerConfig(AppConfig):
    name = "oauth2_test_server"
    default_auto_field = "django.db.models.AutoField"
