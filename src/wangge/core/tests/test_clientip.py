from django.test import RequestFactory, override_settings

from wangge.core.clientip import client_ip

rf = RequestFactory()


def _req(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


@override_settings(WANGGE_TRUSTED_PROXIES=[])
def test_forwarded_header_ignored_without_trusted_proxy():
    assert client_ip(_req("203.0.113.5", "1.2.3.4")) == "203.0.113.5"


@override_settings(WANGGE_TRUSTED_PROXIES=["10.0.0.1", "10.0.0.2"])
def test_trusted_proxy_chain_gives_rightmost_untrusted_hop():
    # The client forged "6.6.6.6"; the first proxy appended the real address 1.2.3.4.
    assert client_ip(_req("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2")) == "1.2.3.4"
    assert client_ip(_req("10.0.0.1", "")) == "10.0.0.1"
    # A request straight from an untrusted address keeps its own address.
    assert client_ip(_req("198.51.100.7", "1.2.3.4")) == "198.51.100.7"
