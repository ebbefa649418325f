"""`govsearch serve`: the web UI behind waitress, a production WSGI server."""

from __future__ import annotations

import errno
import re
import socket

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server

from cli.terminal import printable
from indexer.messages import library_detail, os_error_text


class ServeError(Exception):
    """The server cannot start: one line saying why (port taken, unknown host, …)."""


def make_server(index_dir: str, host: str = "127.0.0.1", port: int = 5000, threads: int = 8, shards=None,
                warm: bool = True):
    """A waitress server for the app over ``index_dir`` (port 0: any free port), not yet running.

    Raises ServeError when the address cannot be listened on."""
    from . import create_app

    if not 0 <= port <= 65535:           # waitress would quietly take the port modulo 65536
        raise ServeError(f"端口 {port} 不对：要是 0 到 65535 之间的整数（0：任一空闲端口）")
    if threads < 1:                      # waitress would accept connections and never answer
        raise ServeError(f"线程数至少要 1，给的是 {threads}")
    app = create_app(index_dir, {"SHARDS": shards} if shards is not None else None)
    try:
        server = _waitress(app, threads, host=host, port=port)
    except OSError as e:
        raise ServeError(_listen_problem(e, host, port)) from None
    except ValueError as e:   # waitress's answer to a host it cannot resolve
        cause = e.__context__ if isinstance(e.__context__, OSError) else None
        raise ServeError(_listen_problem(cause, host, port) if cause
                         else f"无法在主机“{printable(host)}”上提供服务{library_detail(e)}") from None
    if warm:
        warm_up(app)          # after binding: an address that cannot be had is said at once
    return server


def _waitress(app, threads: int, **where):
    # many clients that leave connections open must not starve new ones: allow
    # more connections than waitress's 100, and drop idle ones after 30 s
    server = create_server(app, threads=threads, ident="govsearch", clear_untrusted_proxy_headers=True,
                           connection_limit=1000, channel_timeout=30, **where)
    # a host with several addresses (localhost: 127.0.0.1 and ::1) gives a server of servers,
    # each of which accepts its own connections
    for listener in [server, *getattr(server, "map", {}).values()]:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = _RawUtf8Channel
    return server


_NOT_ASCII = re.compile(rb"[\x80-\xff]")


class _RawUtf8RequestParser(HTTPRequestParser):
    """A request line with raw UTF-8 in it (`curl 'http://…/search?q=营商环境'`) is read
    as a browser would send it, percent-encoded: waitress answers such a line with an
    English "Bad URI"."""

    def parse_header(self, header_plus):
        end = header_plus.find(b"\r\n")
        line, rest = (header_plus, b"") if end < 0 else (header_plus[:end], header_plus[end:])
        line = _NOT_ASCII.sub(lambda m: b"%%%02X" % m.group()[0], line)
        return super().parse_header(line + rest)


class _RawUtf8Channel(HTTPChannel):
    parser_class = _RawUtf8RequestParser


def _listen_problem(e: OSError, host: str, port: int) -> str:
    shown = printable(host)
    if isinstance(e, socket.gaierror):
        return f"无法在主机“{shown}”上提供服务：没有这个主机名或地址（{e.strerror}）"
    if e.errno == errno.EADDRINUSE:
        return f"{shown} 的端口 {port} 已被占用：请停掉占用它的程序，或换一个 --port"
    if e.errno == errno.EACCES:
        return f"没有权限监听端口 {port}（1024 以下的端口要 root）：请换一个 --port"
    if e.errno == errno.EADDRNOTAVAIL:
        return f"{shown} 不是本机的地址：请用 127.0.0.1、0.0.0.0 或本机自己的地址"
    return f"无法在 {shown} 的端口 {port} 上提供服务：{os_error_text(e)}"


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


def serve(index_dir: str, host: str = "127.0.0.1", port: int = 5000, threads: int = 8, workers: int = 1,
          shards=None) -> None:
    """Serve until interrupted, after printing the URL.

    ``workers`` > 1: that many processes answer on one listening socket (the
    kernel hands each connection to one of them), each with the index open.
    Matching holds Python's GIL for most of a search, so threads share one core;
    processes use them all, at the cost of one index's memory each.  ``shards``:
    the Ray actors of a sharded index (search/cluster.py), searched by one process."""
    fewer_malloc_arenas()
    if workers > 1:
        if shards is not None:
            raise ServeError("用 --cluster 时 --workers 只能是 1：搜索由集群上的分片来做")
        _serve_processes(index_dir, host, port, threads, workers)
        return
    server = make_server(index_dir, host=host, port=port, threads=threads, shards=shards)
    _announce(server, index_dir)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


# glibc gives each thread that meets a busy arena a new one (up to 8 per core), and
# memory a search frees stays in its thread's arena: with 8 waitress threads each
# arena keeps the high-water mark of the arrays its searches made.  The searches
# hold Python's GIL for most of their time, so two arenas are contended little.
# 100k paragraphs, 8 clients, `--workers 2`: a worker's RSS 185 -> 168 MB, the same
# requests per second.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8                          # mallopt's parameter number (malloc.h)


def fewer_malloc_arenas() -> None:
    """At most MALLOC_ARENAS malloc arenas in this process and the workers it forks
    (glibc only; elsewhere nothing changes)."""
    import ctypes

    try:
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError, TypeError):   # no mallopt (macOS), no CDLL(None) (Windows)
        pass


def _announce(server, index_dir: str):
    print(f"govsearch: 正在提供服务 {printable(server_url(server))}（索引：{printable(index_dir)}）", flush=True)


def _serve_processes(index_dir: str, host: str, port: int, threads: int, workers: int) -> None:
    """One listening socket, bound here; each worker process makes its own app,
    index and waitress threads after the fork (threads do not survive one, and
    Whoosh reads its files by seek and read: file objects inherited from here
    would share their offsets between processes).  A worker that dies is
    replaced; Ctrl-C or SIGTERM stops them all."""
    import os
    import signal

    # says what is wrong with the address; it opens no index: only the workers need one
    probe = make_server(index_dir, host=host, port=port, threads=1, warm=False)
    sock, url = probe.socket, server_url(probe)
    probe.socket = None                   # the listening socket outlives the probe's threads
    probe.task_dispatcher.shutdown()
    pids: set[int] = set()

    def start_worker() -> int:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                from . import create_app

                app = create_app(index_dir)
                warm_up(app)
                _waitress(app, threads, sockets=[sock]).run()
            finally:
                os._exit(0)
        return pid

    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: (stopping.append(True), _stop(pids)))
    for _ in range(workers):
        pids.add(start_worker())
    print(f"govsearch: 正在提供服务 {printable(url)}（索引：{printable(index_dir)}，{workers} 个进程）", flush=True)
    try:
        while pids:
            pid, _status = os.wait()
            pids.discard(pid)
            if not stopping:
                pids.add(start_worker())
    except KeyboardInterrupt:
        stopping.append(True)
        _stop(pids)
    finally:
        sock.close()


def _stop(pids: set[int]):
    import os
    import signal

    for pid in list(pids):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
