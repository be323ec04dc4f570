"""A small client for Estiba's JSON-RPC 2.0 service (standard library only).

    from estiba_client import EstibaClient
    with EstibaClient.spawn() as c:                 # runs `estiba serve --stdio`
        result = c.call("parse", {"path": "Dockerfile"})
    with EstibaClient.connect() as c:               # the default socket of a running `estiba serve`
        print(c.call("initialize")["version"])

Requests may run concurrently: `call` is thread-safe, and `start` returns a handle that can be cancelled.
"""

import base64
import itertools
import json
import os
import socket
import subprocess
import threading

__all__ = ["EstibaClient", "EstibaError", "PendingCall", "default_socket_path"]


class EstibaError(Exception):
    """A JSON-RPC error reply: `code`, `message` and optional `data`."""

    def __init__(self, code, message, data=None):
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data


def default_socket_path():
    """The socket `estiba serve` uses by default: /run/estiba/estiba.sock for root, else $XDG_RUNTIME_DIR."""
    if os.environ.get("ESTIBA_SOCKET"):
        return os.environ["ESTIBA_SOCKET"]
    if os.geteuid() == 0:
        return "/run/estiba/estiba.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime:
        raise EstibaError(-1, "XDG_RUNTIME_DIR is not set; pass the socket path explicitly")
    return os.path.join(runtime, "estiba.sock")


class PendingCall:
    """A request in flight; `result()` waits for its reply."""

    def __init__(self, client, request_id, on_progress, on_event=None):
        self.client = client
        self.id = request_id
        self.on_progress = on_progress
        self.on_event = on_event
        self._done = threading.Event()
        self._reply = None

    def _resolve(self, reply):
        self._reply = reply
        self._done.set()

    def cancel(self):
        """Asks the service to cancel this request (its reply becomes error -32800)."""
        self.client.notify("$/cancelRequest", {"id": self.id})

    def result(self, timeout=None):
        if not self._done.wait(timeout):
            raise TimeoutError(f"no reply to request {self.id} within {timeout} s")
        reply = self._reply
        if "error" in reply:
            e = reply["error"]
            raise EstibaError(e.get("code"), e.get("message"), e.get("data"))
        return reply.get("result")


class InteractiveSession:
    """A container started by `EstibaClient.run_interactive`: type into it, resize it, wait for its exit code."""

    def __init__(self, client):
        self.client = client
        self.container = None
        self.exit_code = None
        self.started = threading.Event()
        self.call = None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.client.call("input", {"container": self.container, "data": base64.b64encode(data).decode()}, timeout=60)

    def eof(self):
        self.client.call("input", {"container": self.container, "eof": True}, timeout=60)

    def resize(self, rows, cols):
        self.client.call("resize", {"container": self.container, "rows": rows, "cols": cols}, timeout=60)

    def wait(self, timeout=None):
        """The container's exit code, once it has exited."""
        return self.call.result(timeout)["ExitCode"]


class EstibaClient:
    """One connection to the service. Use `connect()` for a socket or `spawn()` for a private stdio service."""

    def __init__(self, reader, writer, framing="newline", closer=None):
        self._reader = reader
        self._writer = writer
        self._framing = framing
        self._closer = closer
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending = {}
        self._batches = {}
        self._closed = False
        self.notification_handlers = []
        self._thread = threading.Thread(target=self._read_loop, name="estiba-client-reader", daemon=True)
        self._thread.start()

    # -- construction -----------------------------------------------------------------------------------------

    @classmethod
    def connect(cls, path=None, framing="newline"):
        """Connects to `estiba serve` on a Unix socket (default: `default_socket_path()`)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path or default_socket_path())
        reader = sock.makefile("rb", buffering=0)
        writer = sock.makefile("wb", buffering=0)

        def closer():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            reader.close()
            writer.close()
            sock.close()

        return cls(reader, writer, framing, closer)

    @classmethod
    def spawn(cls, estiba=None, framing="newline", extra_args=()):
        """Starts `estiba serve --stdio` as a child process and talks to it over its stdin/stdout."""
        binary = estiba or os.environ.get("ESTIBA_BIN") or "estiba"
        proc = subprocess.Popen([binary, "serve", "--stdio", *extra_args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, bufsize=0)

        def closer():
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()

        client = cls(proc.stdout, proc.stdin, framing, closer)
        client.process = proc
        return client

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._closer:
            self._closer()
        self._thread.join(timeout=10)

    # -- calls ------------------------------------------------------------------------------------------------

    def call(self, method, params=None, on_progress=None, timeout=None):
        """Sends a request and returns its result; raises EstibaError on an error reply.
        `on_progress(value)` receives the request's `$/progress` notifications."""
        return self.start(method, params, on_progress).result(timeout)

    def start(self, method, params=None, on_progress=None, on_event=None):
        """Sends a request without waiting; returns a PendingCall (see `result()` and `cancel()`).
        `on_event(method, params)` receives every notification about this request (`container/output`, …)."""
        request_id = next(self._ids)
        pending = PendingCall(self, request_id, on_progress, on_event)
        with self._lock:
            self._pending[request_id] = pending
        self._send(self._message(method, params, request_id))
        return pending

    def run_interactive(self, params, on_output):
        """Starts `run` with stdin open (and a terminal unless `params` says `"tty": False`); returns an
        InteractiveSession once the container has started. `on_output(stream, bytes)` gets its output."""
        session = InteractiveSession(self)

        def on_event(method, p):
            if method == "container/output":
                on_output(p["stream"], base64.b64decode(p["data"]))
            elif method == "container/started":
                session.container = p["container"]
                session.started.set()
            elif method == "container/exit":
                session.exit_code = p["exitCode"]

        session.call = self.start("run", {"tty": True, **params, "interactive": True}, on_event=on_event)
        while not session.started.wait(0.05):
            if session.call._done.is_set():
                session.call.result()  # raises the run's error
                break
        return session

    def notify(self, method, params=None):
        """Sends a notification (no reply)."""
        self._send(self._message(method, params, None))

    def batch(self, calls, timeout=None):
        """Sends a batch. `calls` is a list of (method, params) or (method, params, "notify").
        Returns one entry per request, in order: its result, or an EstibaError instance."""
        messages, ids = [], []
        for item in calls:
            method, params = item[0], item[1] if len(item) > 1 else None
            if len(item) > 2 and item[2] == "notify":
                messages.append(self._message(method, params, None))
            else:
                request_id = next(self._ids)
                ids.append(request_id)
                messages.append(self._message(method, params, request_id))
        if not ids:
            self._send(messages)
            return []
        done = threading.Event()
        box = {}
        with self._lock:
            self._batches[frozenset(ids)] = (done, box)
        self._send(messages)
        if not done.wait(timeout):
            raise TimeoutError("no reply to the batch")
        replies = {r.get("id"): r for r in box["replies"]}
        out = []
        for request_id in ids:
            r = replies.get(request_id)
            if r is None:
                out.append(EstibaError(-32603, "no reply for this request in the batch"))
            elif "error" in r:
                e = r["error"]
                out.append(EstibaError(e.get("code"), e.get("message"), e.get("data")))
            else:
                out.append(r.get("result"))
        return out

    def on_notification(self, handler):
        """Registers `handler(method, params)` for every notification from the service."""
        self.notification_handlers.append(handler)

    # -- wire -------------------------------------------------------------------------------------------------

    @staticmethod
    def _message(method, params, request_id):
        m = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            m["params"] = params
        if request_id is not None:
            m["id"] = request_id
        return m

    def _send(self, message):
        body = json.dumps(message, separators=(",", ":")).encode("utf-8")
        if self._framing == "content-length":
            data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        else:
            data = body + b"\n"
        with self._write_lock:
            self._writer.write(data)
            if hasattr(self._writer, "flush"):
                self._writer.flush()

    def _read_message(self):
        if self._framing == "content-length":
            length = None
            while True:
                line = self._reader.readline()
                if not line:
                    return None
                line = line.strip()
                if not line:
                    if length is None:
                        continue
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = b""
            while len(body) < length:
                chunk = self._reader.read(length - len(body))
                if not chunk:
                    return None
                body += chunk
            return json.loads(body)
        while True:
            line = self._reader.readline()
            if not line:
                return None
            if line.strip():
                return json.loads(line)

    def _read_loop(self):
        while True:
            try:
                message = self._read_message()
            except (OSError, ValueError):
                message = None
            if message is None:
                break
            self._dispatch(message)
        with self._lock:
            pending = list(self._pending.values())
            self._pending.clear()
            batches = list(self._batches.values())
            self._batches.clear()
        for p in pending:
            p._resolve({"error": {"code": -32603, "message": "connection closed before the reply"}})
        for done, box in batches:
            box["replies"] = []
            done.set()

    def _dispatch(self, message):
        if isinstance(message, list):
            ids = frozenset(r.get("id") for r in message if isinstance(r, dict) and r.get("id") is not None)
            with self._lock:
                key = next((k for k in self._batches if ids and ids <= k), None)
                entry = self._batches.pop(key, None) if key is not None else None
            if entry:
                done, box = entry
                box["replies"] = message
                done.set()
            return
        if "method" in message:
            params = message.get("params")
            if message["method"] in ("$/progress", "build/progress") and isinstance(params, dict):
                with self._lock:
                    p = self._pending.get(params.get("id"))
                if p and p.on_progress:
                    # $/progress carries a "value"; build/progress is the event itself.
                    p.on_progress(params.get("value") if message["method"] == "$/progress" else params)
            if isinstance(params, dict) and "id" in params:
                with self._lock:
                    p = self._pending.get(params.get("id"))
                if p and p.on_event:
                    p.on_event(message["method"], params)
            for handler in list(self.notification_handlers):
                handler(message["method"], params)
            return
        with self._lock:
            p = self._pending.pop(message.get("id"), None)
        if p:
            p._resolve(message)
