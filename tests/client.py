"""The test client, answering as the web server does (config.handlers.RelayApplication): a request to an
ingest path goes through the ingest handler (its middleware and URL patterns only), any other through
Django's whole stack."""

from typing import Any

from django.core.handlers.wsgi import get_path_info
from django.test import Client
from django.test.client import ClientHandler

from accounts.middleware import is_ingest_path
from config.handlers import IngestPathsOnly


class IngestClientHandler(IngestPathsOnly, ClientHandler):
    """Django's test handler for the ingest paths."""


class _Routed:
    def __init__(self, site: ClientHandler) -> None:
        self.site = site
        self.ingest = IngestClientHandler(site.enforce_csrf_checks)
        self.enforce_csrf_checks = site.enforce_csrf_checks

    def __call__(self, environ: dict[str, Any]) -> Any:
        return (self.ingest if is_ingest_path(get_path_info(environ)) else self.site)(environ)


def route_as_the_server_does(client: Client) -> Client:
    """`client`, sending the ingest paths through the ingest handler."""
    client.handler = _Routed(client.handler)
    return client


class RelayClient(Client):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        route_as_the_server_does(self)
