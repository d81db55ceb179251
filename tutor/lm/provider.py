"""The offline provider: the offline LM behind a real OpenAI-compatible endpoint on loopback.

Lessons about *configuring* DSPy need a plain model string such as ``"offline/alpha"`` to
reach the offline LM, exactly as ``"openai/gpt-4o-mini"`` reaches OpenAI: the learner's
code calls ``dspy.LM(model)`` and nothing else. DSPy 3.4 has one supported way to make a
model prefix mean your own service: declare it with ``dspy.lm15.register_provider``
(an OpenAI Chat Completions endpoint, its base URL and the environment variable of its
key). ``dspy.LM("offline/<name>")`` is then an ordinary native LM: DSPy reads the key
from ``OFFLINE_API_KEY``, sends requests over HTTP and parses the usage it gets back.
A custom ``engine=`` object would not do here: the learner's code would have to be given
the engine, and the model string would no longer be the whole configuration.

This module is the server side: a ``ThreadingHTTPServer`` on 127.0.0.1 that answers
``POST /v1/chat/completions`` from an ``OfflineAnswerer`` (the step's cassette and
scripts). Compared with the in-process offline engine:

- ``{model}`` in an answer is replaced by the model name the request named
  (``offline/alpha`` → ``alpha``), so a check can tell which LM answered;
- a script's ``when`` is matched against the whole conversation (the system message and
  every message, not just the last one), so an answer can depend on ``dspy.History``;
- ``latency_s`` delays every reply (the handler sleeps, like a network wait: other
  threads run meanwhile), for steps that measure concurrency;
- a request without ``Authorization: Bearer <the key>`` gets a 401, as from a real
  provider.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tutor.lm.offline import OfflineAnswerer
from tutor.lm.prompt import read_call

PROVIDER_ID = "offline"
KEY_ENV = "OFFLINE_API_KEY"
# Without it, DSPy's first look at a native model's capabilities (e.g. JSONAdapter asking
# whether it supports response schemas) fetches a metadata map from the internet.
LOCAL_METADATA_ENV = "LITELLM_LOCAL_MODEL_COST_MAP"


class OfflineProvider:
    """Serve the offline LM as the ``offline/…`` provider while the ``with`` block runs.

    On entry: starts the server, sets ``OFFLINE_API_KEY`` to a fresh key (and
    ``LITELLM_LOCAL_MODEL_COST_MAP``: nothing offline goes to the internet) and registers
    the provider (``dspy.LM`` objects bind registrations when constructed: build them
    inside the block). On exit: unregisters, restores the variable, stops the server.
    """

    def __init__(self, answerer: OfflineAnswerer, latency_s: float = 0.0) -> None:
        self.answerer = answerer
        self.latency_s = latency_s
        self.key = "offline-" + secrets.token_hex(8)
        self.requests: list[str] = []  # the model name of every answered request
        self._server: ThreadingHTTPServer | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:PORT/v1``), as DSPy's ``api_base`` takes it."""
        if self._server is None:
            raise RuntimeError("the offline provider is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OfflineProvider:
        from dspy.lm15 import AccessPolicy, OpenAIChatCompat, ProviderDefinition, register_provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # shutdown() waits for the serve loop's next poll: keep it short (default 0.5 s).
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        self._saved_env = {name: os.environ.get(name) for name in (KEY_ENV, LOCAL_METADATA_ENV)}
        os.environ[KEY_ENV] = self.key
        os.environ[LOCAL_METADATA_ENV] = "True"
        access = AccessPolicy(provider=PROVIDER_ID, env_keys=(KEY_ENV,), base_url=self.url)
        register_provider(ProviderDefinition.chat(access, compat=OpenAIChatCompat()), replace=True)
        return self

    def __exit__(self, *exc: object) -> None:
        from dspy.lm15 import unregister_provider

        unregister_provider(PROVIDER_ID)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        """A Chat Completions response for one request body."""
        model = str(body.get("model", ""))
        messages = body.get("messages") or []
        system = "\n".join(_text(m) for m in messages if m.get("role") == "system")
        turns = [(str(m.get("role")), _text(m)) for m in messages if m.get("role") != "system"]
        conversation = "\n".join(text for _, text in turns)
        call = read_call(system, turns or [("user", "")], body.get("temperature"))
        reply = self.answerer.answer_call(call)
        text, source = reply.text, reply.source
        text = text.replace("{model}", model)
        self.requests.append(model)
        prompt_tokens = len(f"{system} {conversation}".split())
        return {
            "id": f"offline-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "lm_source": source,  # DSPy keeps the body as provider_data: the trace reads it
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(text.split()),
                "total_tokens": prompt_tokens + len(text.split()),
            },
        }


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _handler_for(provider: OfflineProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: DSPy's client reuses the connection
        # Headers and body go out in two writes; with Nagle's algorithm the body waits for
        # the client's delayed ACK (~40 ms per reply on a reused connection).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.headers.get("Authorization") != f"Bearer {provider.key}":
                self._send(401, _error("invalid or missing API key", "invalid_api_key"))
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, _error(f"no endpoint {self.path}", "not_found"))
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._send(400, _error("the request body is not JSON", "invalid_request"))
                return
            if body.get("stream"):
                self._send(400, _error("streaming is not served offline", "invalid_request"))
                return
            if provider.latency_s:
                time.sleep(provider.latency_s)
            self._send(200, provider.reply(body))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the check's output is the learner's, not an access log

    return Handler


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}
