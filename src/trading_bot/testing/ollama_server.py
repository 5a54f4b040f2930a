"""A local HTTP server speaking Ollama's API (``/api/chat``, ``/api/tags``, ``/api/version``).

Scriptable for tests: queue canned replies (JSON, malformed text, HTTP errors, slow answers) or
install a responder that answers from the request. Runs in a background thread, so both sync and
async clients can talk to it::

    with OllamaServer() as server:
        server.reply_json({"score": 0.8, "confidence": 0.9, "reasoning": "beat", "tickers": []})
        client = ollama.AsyncClient(host=server.url)
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

_CREATED_AT = "2024-06-03T14:30:00.000000Z"


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted answer to a chat request.

    ``content`` is the assistant message text; ``status`` other than 200 sends ``error`` as
    Ollama does; ``delay`` seconds pass before anything is sent.
    """

    content: str = ""
    status: int = 200
    error: str = ""
    delay: float = 0.0


# Any: chat requests are JSON objects of mixed value types, as Ollama receives them.
Responder = Callable[[Mapping[str, Any]], Reply]
"""Builds the reply to one chat request (the decoded JSON body)."""


def json_reply(payload: Mapping[str, object], *, delay: float = 0.0) -> Reply:
    """Return a reply whose message content is ``payload`` as JSON."""
    return Reply(content=json.dumps(payload), delay=delay)


class OllamaServer:
    """A fake Ollama on 127.0.0.1 with a free port; use as a (sync or async) context manager.

    Requests are recorded in :attr:`requests`. Unless scripted, every chat gets a neutral JSON
    verdict. A chat for a model not in ``models`` gets Ollama's 404.
    """

    def __init__(self, *, models: tuple[str, ...] = ("llama3.1",)) -> None:
        self.models = models
        self.requests: list[Mapping[str, Any]] = []
        self._queue: deque[Reply] = deque()
        self._responder: Responder | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(self)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """Return the base URL to pass as the client's ``host``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def chat_requests(self) -> list[Mapping[str, Any]]:
        """Return the bodies of the chat requests received so far."""
        with self._lock:
            return [r for r in self.requests if r.get("_path") == "/api/chat"]

    def start(self) -> Self:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; slow replies still waiting are cut short."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def reply(self, *replies: Reply) -> None:
        """Queue replies for the next chat requests, in order."""
        with self._lock:
            self._queue.extend(replies)

    def reply_json(self, payload: Mapping[str, object], *, delay: float = 0.0) -> None:
        """Queue a reply whose content is ``payload`` as JSON."""
        self.reply(json_reply(payload, delay=delay))

    def reply_text(self, content: str) -> None:
        """Queue a reply with raw content, e.g. malformed JSON."""
        self.reply(Reply(content=content))

    def reply_error(self, status: int, error: str = "internal error") -> None:
        """Queue an HTTP error reply with Ollama's ``{"error": ...}`` body."""
        self.reply(Reply(status=status, error=error))

    def respond_with(self, responder: Responder | None) -> None:
        """Answer every chat not covered by the queue with ``responder(request)``."""
        with self._lock:
            self._responder = responder

    def serves(self, model: str) -> bool:
        """Return True when ``model`` (with or without a ``:tag``) is one this server has."""
        return model in self.models or any(model == m.split(":")[0] for m in self.models)

    def next_reply(self, request: Mapping[str, Any]) -> Reply:
        """Record ``request`` and return the reply scripted for it."""
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
        if responder is not None:
            return responder(request)
        return json_reply({"score": 0.0, "confidence": 0.5, "reasoning": "neutral", "tickers": []})

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` in a handler thread, or less if the server stops."""
        self._stopping.wait(seconds)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    def __init__(self, fake: OllamaServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        fake = self.server.fake
        if self.path == "/api/tags":
            models = [{"name": m, "model": m, "size": 1, "digest": "0"} for m in fake.models]
            self._send(200, {"models": models})
        elif self.path == "/api/version":
            self._send(200, {"version": "0.3.14"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/api/chat":
            self._send(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": "invalid JSON body"})
            return
        fake = self.server.fake
        reply = fake.next_reply({**request, "_path": self.path})
        if reply.delay:
            fake.wait(reply.delay)
        model = request.get("model", "")
        if not fake.serves(model):
            self._send(404, {"error": f"model '{model}' not found, try pulling it first"})
        elif reply.status != 200:
            self._send(reply.status, {"error": reply.error or "error"})
        elif request.get("stream", True):
            self._send(400, {"error": "this test server answers only stream=false"})
        else:
            self._send(200, _chat_body(model, reply.content))

    def _send(self, status: int, body: Mapping[str, object]) -> None:
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (a timeout test); nothing is left to tell it

    def log_message(self, format: str, *args: object) -> None:
        return


def _chat_body(model: str, content: str) -> dict[str, object]:
    return {
        "model": model,
        "created_at": _CREATED_AT,
        "message": {"role": "assistant", "content": content},
        "done": True,
        "done_reason": "stop",
        "total_duration": 1_000_000,
        "load_duration": 1_000,
        "prompt_eval_count": 10,
        "prompt_eval_duration": 1_000,
        "eval_count": 10,
        "eval_duration": 1_000,
    }
