"""The web skin: a Flask app that only presents what search/ returns.

``create_app`` is the app factory (Flask-tutorial style).  One ``Engine`` lives
on the app (``app.extensions["govsearch_engine"]``); it is thread-safe and
follows reindexing by itself.
"""

from __future__ import annotations

import os

from flask import Flask

from indexer.store import default_index_dir

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; object-src 'none'; base-uri 'none'; "
                                "frame-ancestors 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _open_index(app: Flask, Engine):
    """One Engine, or for a sharded index (indexer/shards.py) its shards, searched
    together (and asked for report pages): in this process, or as the Ray actors
    given in config["SHARDS"]; the report list and indicators read the shards'
    folders."""
    from indexer.layout import shard_dirs

    dirs = shard_dirs(app.config["INDEX_DIR"])
    if dirs is None and app.config.get("SHARDS") is None:
        app.extensions["govsearch_engine"] = Engine(app.config["INDEX_DIR"])
        return
    from search.shards import LocalShards

    from indexer.store import IndexStore

    dirs = dirs or [app.config["INDEX_DIR"]]
    app.extensions["govsearch_shard_stores"] = [IndexStore(str(d)) for d in dirs]
    app.extensions["govsearch_engine"] = None
    app.extensions["govsearch_shards"] = app.config.get("SHARDS") or LocalShards(dirs)


def create_app(index_dir: str | None = None, config: dict | None = None) -> Flask:
    """Build the app over the index at ``index_dir`` ($GOVSEARCH_INDEX or ./index)."""
    from search.engine import Engine

    from . import analysis, api, indicators, views

    app = Flask(__name__)
    app.config.from_mapping(
        INDEX_DIR=os.fspath(index_dir) if index_dir else default_index_dir(),
        DEBUG=False,
        TESTING=False,
        JSON_AS_ASCII=False,
    )
    if config:
        app.config.update(config)
    app.debug = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    _open_index(app, Engine)

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(indicators.bp)
    app.register_blueprint(analysis.bp)
    views.register_error_handlers(app)

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        return response

    return app
