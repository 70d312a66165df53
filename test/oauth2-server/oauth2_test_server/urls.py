"""The paths of the tests' OAuth2 server."""
from django.urls import path
from oauth2_provider import views as oauth2_views

from . import resources

urlpatterns = [
    path("o/token/", oauth2_views.TokenView.as_view(), name="token"),
    path("o/revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("api/v0/payout-account/balance", resources.balance),
    path("refusing-with-403/api/v0/payout-account/balance", resources.balance_refusing_with_403),
    path("api/v0/admin/settings", resources.admin_settings),
]
