"""`govsearch serve`: the web UI behind waitress, a production WSGI server."""

from __future__ import annotations

import sys

from waitress.server import create_server


def make_server(index_dir: str, host: str = "127.0.0.1", port: int = 5000, threads: int = 8):
    """A waitress server for the app over ``index_dir`` (port 0: any free port), not yet running."""
    from . import create_app

    app = create_app(index_dir)
    warm_up(app)
    # many clients that leave connections open must not starve new ones: allow
    # more connections than waitress's 100, and drop idle ones after 30 s
    return create_server(app, host=host, port=port, threads=threads, ident="govsearch",
                         clear_untrusted_proxy_headers=True, connection_limit=1000,
                         channel_timeout=30)


def warm_up(app) -> None:
    """Load the segmenter's dictionary and open the index before the first
    request, so no visitor waits for them (about a second on a large index)."""
    from indexer.analysis import cut

    cut("营商环境")
    try:
        app.extensions["govsearch_engine"].snapshot()
    except Exception:  # noqa: BLE001 - a missing or stale index is reported per request
        pass


def server_url(server) -> str:
    host = server.effective_host
    if isinstance(host, str) and ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{server.effective_port}/"


def serve(index_dir: str, host: str = "127.0.0.1", port: int = 5000, threads: int = 8) -> None:
    """Serve until interrupted, after printing the URL."""
    server = make_server(index_dir, host=host, port=port, threads=threads)
    print(f"govsearch: serving {server_url(server)} (index: {index_dir})", flush=True)
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
