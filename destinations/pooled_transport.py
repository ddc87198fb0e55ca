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
import threading

import httpx
import urllib3
from urllib3 import exceptions
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# Connections kept open per host: a sender runs up to RELAY_SEND_CONCURRENCY (16) threads for each
# endpoint of a key, and a key's endpoints share its client. More may be opened under a burst; those
# are closed after use.
KEPT_CONNECTIONS = 64


class PooledTransport(httpx.BaseTransport):
    def __init__(self, *, kept_connections: int = KEPT_CONNECTIONS, ssl_context: ssl.SSLContext | None = None) -> None:
        self._kept_connections = kept_connections
        # The certificates httpx itself trusts (certifi), so switching transport trusts no one new.
        self._ssl_context = ssl_context or httpx.create_ssl_context()
        # Each origin's pool, found by httpx's already parsed URL: urllib3's PoolManager parsed every
        # request's URL again and built a key for its pool (3% of a worker's CPU under
        # bench/pipeline.py --only many-keys). A client speaks to one origin; the dict stays small.
        self._pools: dict[tuple[str, str, int | None], HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        headers = urllib3.HTTPHeaderDict()
        for name, value in request.headers.raw:
            headers.add(name.decode("latin-1"), value.decode("latin-1"))
        url = request.url
        try:
            answer = self._pool(url.scheme, url.host, url.port).urlopen(
                request.method,
                url.raw_path.decode("ascii"),
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

    def _pool(self, scheme: str, host: str, port: int | None) -> HTTPConnectionPool:
        origin = (scheme, host, port)
        pool = self._pools.get(origin)
        if pool is None:
            with self._lock:
                pool = self._pools.get(origin)
                if pool is None:
                    pool = self._pools[origin] = self._new_pool(scheme, host, port)
        return pool

    def _new_pool(self, scheme: str, host: str, port: int | None) -> HTTPConnectionPool:
        options = {"maxsize": self._kept_connections, "block": False, "retries": False}
        if scheme == "https":
            return HTTPSConnectionPool(host, port, ssl_context=self._ssl_context, **options)
        if scheme == "http":
            return HTTPConnectionPool(host, port, **options)
        raise httpx.UnsupportedProtocol(f"Unsupported URL scheme {scheme!r}.")

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def _reason(error: Exception) -> str:
    """The error's kind only: urllib3's messages name the URL, which a log must not carry."""
    return type(error).__name__
