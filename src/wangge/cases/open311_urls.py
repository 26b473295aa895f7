from django.urls import re_path

from . import open311

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^v2/services" + FMT, open311.services_list, name="open311-services"),
    re_path(
        r"^v2/services/(?P<code>[\w-]+)" + FMT, open311.service_definition, name="open311-service"
    ),
    re_path(r"^v2/requests" + FMT, open311.requests_view, name="open311-requests"),
    re_path(
        r"^v2/requests/(?P<request_id>[\w-]+)" + FMT, open311.request_detail, name="open311-request"
    ),
    re_path(r"^v2/tokens/(?P<token>[\w-]+)" + FMT, open311.token_detail, name="open311-token"),
]
