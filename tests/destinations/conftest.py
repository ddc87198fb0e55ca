"""Fixtures shared by the destinations' tests: a local HTTP server (and its TLS variant) that both
transports are tried against."""

from tests.destinations.test_pooled_transport import server, tls_server

__all__ = ["server", "tls_server"]
