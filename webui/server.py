"""`govsearch serve`: the web UI behind waitress, a production WSGI server."""

from __future__ import annotations

import errno
import socket
import sys

from waitress.server import create_server

from cli.terminal import printable


class ServeError(Exception):
    """The server cannot start: one line saying why (port taken, unknown host, …)."""


def make_server(index_dir: str, host: str = "127.0.0.1", port: int = 5000, threads: int = 8, shards=None):
    """A waitress server for the app over ``index_dir`` (port 0: any free port), not yet running.

    Raises ServeError when the address cannot be listened on."""
    from . import create_app

    if not 0 <= port <= 65535:           # waitress would quietly take the port modulo 65536
        raise ServeError(f"port {port} is not a port: use 0 to 65535 (0: any free port)")
    if threads < 1:                      # waitress would accept connections and never answer
        raise ServeError(f"threads must be at least 1, got {threads}")
    app = create_app(index_dir, {"SHARDS": shards} if shards is not None else None)
    # many clients that leave connections open must not starve new ones: allow
    # more connections than waitress's 100, and drop idle ones after 30 s
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="govsearch",
                               clear_untrusted_proxy_headers=True, connection_limit=1000,
                               channel_timeout=30)
    except OSError as e:
        raise ServeError(_listen_problem(e, host, port)) from None
    except ValueError as e:   # waitress's answer to a host it cannot resolve
        cause = e.__context__ if isinstance(e.__context__, OSError) else None
        raise ServeError(_listen_problem(cause, host, port) if cause
                         else f"cannot serve on host '{printable(host)}': {e}") from None
    warm_up(app)              # after binding: an address that cannot be had is said at once
    return server


def _listen_problem(e: OSError, host: str, port: int) -> str:
    shown = printable(host)
    if isinstance(e, socket.gaierror):
        return f"cannot serve on host '{shown}': no such host or address ({e.strerror})"
    if e.errno == errno.EADDRINUSE:
        return f"port {port} on {shown} is already in use: stop what holds it, or choose another --port"
    if e.errno == errno.EACCES:
        return f"no permission to listen on port {port} (ports below 1024 need root): choose another --port"
    if e.errno == errno.EADDRNOTAVAIL:
        return f"{shown} is not an address of this machine: use 127.0.0.1, 0.0.0.0 or one of its own"
    return f"cannot serve on {shown} port {port}: {e.strerror or e}"


def warm_up(app) -> None:
    """Load the segmenter's dictionary and open the index before the first
    request, so no visitor waits for them (about a second on a large index)."""
    from indexer.analysis import cut

    cut("营商环境")
    try:
        if app.extensions["govsearch_engine"] is not None:      # a sharded index: the shards open themselves
            app.extensions["govsearch_engine"].snapshot()
    except Exception:  # noqa: BLE001 - a missing or stale index is reported per request
        pass


def server_url(server) -> str:
    host = server.effective_host
    if isinstance(host, str) and ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{server.effective_port}/"


def serve(index_dir: str, host: str = "127.0.0.1", port: int = 5000, threads: int = 8, shards=None) -> None:
    """Serve until interrupted, after printing the URL."""
    server = make_server(index_dir, host=host, port=port, threads=threads, shards=shards)
    print(f"govsearch: serving {printable(server_url(server))} (index: {printable(index_dir)})", flush=True)
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
