"""The import hook a binary's interpreter gets: lazy, and wired to the check's LM/trace.

A plain ``python`` subprocess stands in for the embedded interpreter here (same
start-up: site, PYTHONPATH, sitecustomize); tests/e2e/test_lesson_pack.py runs a real
Rust program.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tutor.embed import SITE_DIR, wire
from tutor.embed.bridge import Bridge
from tutor.events import Event, Span
from tutor.lm.offline import OfflineAnswerer, OfflineEngine
from tutor.trace.recorder import SpanRecorder

PROGRAM = """
import json, sys
before = "dspy" in sys.modules
if sys.argv[1] == "ask":
    import dspy
    answer = dspy.Predict("question -> answer")(question="What is the tutor's hook?").answer
elif sys.argv[1] == "rollouts":  # as BestOfN samples: copies with rollout_id, temperature 1
    import dspy
    answer = []
    for i in range(4):
        with dspy.context(lm=dspy.settings.lm.copy(rollout_id=i, temperature=1.0)):
            answer.append(dspy.Predict("question -> answer")(question="vary me").answer)
else:
    answer = None
print(json.dumps({"dspy_before_import": before, "dspy_loaded": "dspy" in sys.modules,
                  "answer": answer}))
"""


def run(argument: str, env_extra: dict[str, str]) -> dict:
    env = dict(os.environ)
    paths = [str(SITE_DIR), *(p for p in sys.path if p and os.path.isdir(p))]
    env.update(PYTHONPATH=os.pathsep.join(paths), **env_extra)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, argument], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def bridged():
    events: list[Event] = []
    answerer = OfflineAnswerer()
    answerer.add_script("What is the tutor's hook?", {"answer": "sitecustomize"})
    recorder = SpanRecorder(events.append, time.monotonic(), answerer)
    parent = recorder.open_span("binary", "program", {})
    with Bridge(recorder, partial(OfflineEngine, answerer), {"model": "offline"}, parent) as bridge:
        yield bridge, recorder, events, parent


def test_a_program_that_never_imports_dspy_does_not_load_it(bridged):
    bridge, recorder, events, _ = bridged
    got = run("quiet", {wire.ENV_VAR: bridge.path})
    assert got == {"dspy_before_import": False, "dspy_loaded": False, "answer": None}


def test_importing_dspy_configures_the_checks_lm_and_trace(bridged):
    bridge, recorder, events, parent = bridged
    got = run("ask", {wire.ENV_VAR: bridge.path})
    assert got["answer"] == "sitecustomize"
    bridge.close()  # drain: the program's last frames are in
    predict = [s for s in recorder.spans if s.kind == "module"]
    lm = [s for s in recorder.spans if s.kind == "lm"]
    assert [s.parent_id for s in predict] == [parent]
    assert [s.lm_source for s in lm] == ["scripted"]
    assert any(isinstance(e, Span) and e.kind == "lm" for e in events)


def test_without_the_bridge_a_program_runs_as_it_is():
    got = run("quiet", {})
    assert got["dspy_loaded"] is False


class _ChatCompletions(BaseHTTPRequestHandler):
    """A loopback OpenAI-compatible endpoint: answers every chat call, notes its auth."""

    seen: list[str | None] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(self.headers.get("Authorization"))
        content = "[[ ## answer ## ]]\nfrom the provider\n\n[[ ## completed ## ]]"
        body = json.dumps(
            {
                "id": "1",
                "object": "chat.completion",
                "created": 0,
                "model": "test-model",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_provider_is_built_in_the_program_with_the_key_from_its_environment(monkeypatch):
    key = "sk-test-provider-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", key)  # the check's environment, inherited
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatCompletions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    events: list[Event] = []
    recorder = SpanRecorder(events.append, time.monotonic(), None)
    parent = recorder.open_span("binary", "program", {})
    settings = {
        "model": "openai/test-model",
        "api_base": f"http://127.0.0.1:{server.server_port}/v1",
    }
    try:
        with Bridge(recorder, None, settings, parent) as bridge:
            got = run("ask", {wire.ENV_VAR: bridge.path})
    finally:
        server.shutdown()
        server.server_close()
    assert got["answer"] == "from the provider"
    assert _ChatCompletions.seen == [f"Bearer {key}"]
    (lm,) = [s for s in recorder.spans if s.kind == "lm"]
    assert (lm.lm_source, lm.model) == ("provider", "openai/test-model")
    assert all(key not in e.to_json() for e in events)


def test_rollouts_reach_the_checks_offline_lm(bridged):
    import dspy

    from tutor.lm.offline import make_offline_lm

    bridge, recorder, events, _ = bridged
    got = run("rollouts", {wire.ENV_VAR: bridge.path})["answer"]
    here = make_offline_lm(recorder.answerer)
    want = []
    for i in range(4):
        with dspy.context(lm=here.copy(rollout_id=i, temperature=1.0), adapter=None):
            want.append(dspy.Predict("question -> answer")(question="vary me").answer)
    assert got == want, "the program's samples are the ones the check's LM gives"
    assert len(set(got)) > 1, "samples vary by rollout_id"
