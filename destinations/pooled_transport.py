"""An httpx transport on urllib3's connection pool, for a client that many sending threads share.

httpx's own pool (httpcore) takes one lock for every request and, holding it, asks the operating
system about every idle connection it keeps. With the sixteen threads a sender runs per endpoint,
that lock and those questions cost more of the worker's CPU than anything else it did per delivery.
urllib3 keeps idle connections in a queue and looks only at the one it takes (dropped by the server?
then a new one). Requests and answers stay httpx's, so the clients' code, their timeouts and the
errors they raise are unchanged; redirects are never followed and nothing is retried here (the
delivery's own retry policy decides).
"""

import ssl

import httpx
import urllib3
from urllib3 import exceptions

# Connections kept open per host: a sender runs up to RELAY_SEND_CONCURRENCY (16) threads for each
# endpoint of a key, and a key's endpoints share its client. More may be opened under a burst; those
# are closed after use.
KEPT_CONNECTIONS = 64


class PooledTransport(httpx.BaseTransport):
    def __init__(self, *, kept_connections: int = KEPT_CONNECTIONS, ssl_context: ssl.SSLContext | None = None) -> None:
        self._pools = urllib3.PoolManager(
            num_pools=4,
            maxsize=kept_connections,
            block=False,
            retries=False,
            # The certificates httpx itself trusts (certifi), so switching transport trusts no one new.
            ssl_context=ssl_context or httpx.create_ssl_context(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        headers = urllib3.HTTPHeaderDict()
        for name, value in request.headers.raw:
            headers.add(name.decode("latin-1"), value.decode("latin-1"))
        try:
            answer = self._pools.urlopen(
                request.method,
                str(request.url),
                body=request.read() or None,
                headers=headers,
                timeout=urllib3.Timeout(connect=timeouts.get("connect"), read=timeouts.get("read")),
                retries=False,
                redirect=False,
                preload_content=True,
                # httpx decodes the body by its headers, as it does for its own transport.
                decode_content=False,
                assert_same_host=False,
            )
        except exceptions.NewConnectionError as error:
            raise httpx.ConnectError(_reason(error), request=request) from None
        except exceptions.ConnectTimeoutError as error:
            raise httpx.ConnectTimeout(_reason(error), request=request) from None
        except exceptions.ReadTimeoutError as error:
            raise httpx.ReadTimeout(_reason(error), request=request) from None
        except exceptions.SSLError as error:
            raise httpx.ConnectError(_reason(error), request=request) from None
        except exceptions.ProtocolError as error:
            raise httpx.RemoteProtocolError(_reason(error), request=request) from None
        except exceptions.HTTPError as error:
            raise httpx.TransportError(_reason(error)) from None
        return httpx.Response(
            answer.status,
            headers=list(answer.headers.items()),
            content=answer.data,
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    def close(self) -> None:
        self._pools.clear()


def _reason(error: Exception) -> str:
    """The error's kind only: urllib3's messages name the URL, which a log must not carry."""
    return type(error).__name__
