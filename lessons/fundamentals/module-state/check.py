"""Check for the module-state step: a #[pyclass] Conversation that owns its program and turns.

The LM is offline/chat from lesson_api.offline_provider(): it matches scripts against the
whole conversation, so its answer to the follow-up depends on the history it was sent.
"""

from concurrent.futures import ThreadPoolExecutor

import dspy
import pytest
from dspy.utils.callback import BaseCallback

import module_state

from tutor import lesson_api

FRANCE = "What is the capital of France?"
FOLLOW_UP = "How many people live there?"
WITH_HISTORY = "About 2.1 million people live in Paris."
WITHOUT_HISTORY = "Live where? Tell me which place you mean."


@pytest.fixture(scope="module")
def chat_lm():
    with lesson_api.offline_provider() as _provider:
        yield dspy.LM("offline/chat")


@pytest.fixture(autouse=True)
def use_chat_lm(chat_lm):
    with dspy.context(lm=chat_lm):
        yield


def test_a_turn_is_answered_and_kept():
    conv = module_state.Conversation()
    got = conv.ask(FRANCE)
    assert got == "Paris", "ask() should return the prediction's `answer`"
    got = conv.turns
    assert got == 1, "after one ask(), `turns` should be 1: record each finished turn"
    history = conv.history
    got = (type(history).__name__, getattr(history, "messages", None))
    assert got == ("History", [{"question": FRANCE, "answer": "Paris"}]), (
        "`history` should be dspy.History(messages=[{\"question\": ..., \"answer\": ...}]) "
        "built from the turns so far"
    )


def test_the_lm_sees_the_previous_turn():
    conv = module_state.Conversation()
    conv.ask(FRANCE)
    got = conv.ask(FOLLOW_UP)
    assert got == WITH_HISTORY, (
        f"the follow-up was answered {got!r}: the LM did not see the first turn. Pass "
        "history=dspy.History(messages=[...turns so far...]) with the question"
    )
    if lesson_api.in_tutor_run():
        lm = [s for s in lesson_api.spans() if s.kind == "lm"][-1]
        got = [(m["role"], FRANCE in m["content"] or "Paris" in m["content"]) for m in lm.messages]
        assert got[1:3] == [("user", True), ("assistant", True)], (
            "the LM call's messages should carry the first turn as a user/assistant pair "
            f"before the new question (roles seen: {[role for role, _ in got]})"
        )


def test_each_conversation_has_its_own_turns():
    first, second = module_state.Conversation(), module_state.Conversation()
    first.ask(FRANCE)
    got = [second.ask(FOLLOW_UP), first.turns, second.turns]
    assert got == [WITHOUT_HISTORY, 1, 1], (
        "a new Conversation starts empty: keep the turns in the instance, not in a static"
    )


class ReadTurns(BaseCallback):
    """A DSPy callback that reads the conversation while its ask() is running."""

    def __init__(self, conv):
        self.conv = conv
        self.seen = []

    def on_lm_start(self, call_id, instance, inputs):
        try:
            self.seen.append(self.conv.turns)
        except Exception as e:  # DSPy would only log it
            self.seen.append(f"{type(e).__name__}: {e}")


def test_turns_can_be_read_while_ask_runs():
    conv = module_state.Conversation()
    reader = ReadTurns(conv)
    with dspy.context(callbacks=[*dspy.settings.callbacks, reader]):
        conv.ask(FRANCE)
        conv.ask(FOLLOW_UP)
    got = reader.seen
    if any(isinstance(seen, str) for seen in got):
        advice = (
            "'Already mutably borrowed' means ask() takes &mut self for the whole call: take "
            "&self and keep the turns in a Mutex, locked only to copy or push"
        )
    else:
        advice = "`turns` should count the turns finished before each call"
    assert got == [0, 1], (
        f"a callback read `conversation.turns` during each LM call and got {got}: {advice}"
    )


def test_a_conversation_can_move_between_threads(chat_lm):
    conv = module_state.Conversation()

    def in_worker():
        with dspy.context(lm=chat_lm):
            return conv.ask(FRANCE)

    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            got = pool.submit(in_worker).result(timeout=10)
        except BaseException as e:  # an `unsendable` class panics: PanicException
            got = f"{type(e).__name__}: {e}"
    assert got == "Paris", (
        "calling ask() from a worker thread should work (web servers do): an "
        "`unsendable` #[pyclass] panics there ('... is unsendable, but sent to another "
        "thread'); use Send + Sync fields (Py<PyAny>, Mutex) instead"
    )
    assert conv.turns == 1, "the turn asked on the worker thread should be recorded"
