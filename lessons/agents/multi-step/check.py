"""Check for the multi-step step: three tools chained by the ids they issue, checked the
same way for a scripted run and for an LM nobody scripted."""

import json
import re

import pytest

import multi_step

from tutor import lesson_api

SCRIPTED = "Where is the parcel of the latest order of ana@example.com?"
UNSCRIPTED = "Bo Jensen asks about the parcel of his latest order: where is it now?"
ISSUERS = {"latest_order": ("customer_id", r"Customer (C-\d+)"), "track_parcel": ("tracking", r"tracking number (JD\d+)")}


def lm_sources(before):
    return {s.lm_source for s in lesson_api.spans()[before:] if s.kind == "lm"}


def assert_sound(run):
    """What must hold for any LM: a tool succeeds only with an id an earlier observation
    issued, a refused id gets an error naming the tool to call first, the run finishes."""
    steps = [(s.tool, json.loads(s.args), s.observation) for s in run.steps]
    assert steps, "Run.steps is empty: read the steps back from prediction.trajectory"
    issued = set()
    for tool, args, observation in steps:
        failed = observation.startswith("Execution error")
        if tool in ISSUERS:
            key, _ = ISSUERS[tool]
            given = str(args.get(key, "")).strip()
            if given not in issued:
                assert failed, (
                    f"{tool} accepted {given!r}, an id no earlier observation gave: refuse ids "
                    "that are not in `Issued` (the LM must not invent them)"
                )
                first = "find_customer" if tool == "latest_order" else "latest_order"
                assert f"call {first} first" in observation, (
                    f"{tool}'s refusal should tell the LM to call {first} first, got {observation!r}"
                )
        for _, pattern in ISSUERS.values():
            issued.update(re.findall(pattern, observation))
    assert steps[-1][0] == "finish", f"the run should end with finish, got {[s[0] for s in steps]}"
    return steps


def test_module_registers_the_gil_probe():
    got = [name for name in dir(multi_step) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_an_invented_id_is_refused():
    tools = {t.name: t for t in multi_step.Session().tools()}
    got = []
    for tool, args in (("latest_order", {"customer_id": "C-7"}), ("track_parcel", {"tracking": "JD0142"})):
        try:
            tools[tool](**args)
        except ValueError as e:
            got.append(("ValueError", "first" in str(e)))
        else:
            got.append(("accepted", False))
    assert got == [("ValueError", True), ("ValueError", True)], (
        "in a new Session, latest_order('C-7') and track_parcel('JD0142') must raise ValueError "
        "saying which tool to call first: no earlier tool issued those ids"
    )


def test_the_scripted_run_chains_three_tools():
    if not lesson_api.in_tutor_run():
        pytest.skip("the trajectory is scripted only when the tutor runs this check")
    before = len(lesson_api.spans())
    run = multi_step.Session().ask(SCRIPTED)
    steps = assert_sound(run)
    if lm_sources(before) != {"scripted"}:
        return  # a real provider: soundness is what can be checked
    got = [(tool, args) for tool, args, _ in steps]
    assert got == [
        ("find_customer", {"query": "ana@example.com"}),
        ("latest_order", {"customer_id": "C-7"}),
        ("track_parcel", {"tracking": "JD0142"}),
        ("finish", {}),
    ], "Run.steps should list the four steps with their arguments, in order"
    assert steps[2][2] == "Parcel JD0142 is in the Lyon depot, out for delivery tomorrow", (
        "track_parcel should accept JD0142 once latest_order issued it"
    )
    assert run.answer.startswith("Your parcel JD0142"), "Run.answer is the agent's answer"


def test_an_unscripted_run_is_sound_too():
    before = len(lesson_api.spans())
    run = multi_step.Session().ask(UNSCRIPTED)
    steps = assert_sound(run)
    if lesson_api.in_tutor_run():
        assert "scripted" not in lm_sources(before), "this question must not be scripted"
    ok = [obs for tool, _, obs in steps if tool != "finish" and not obs.startswith("Execution error")]
    assert ok, (
        f"no tool call succeeded in {[(t, a) for t, a, _ in steps]}: find_customer should find "
        "'Bo Jensen' in a query that contains the name"
    )


def test_sessions_do_not_share_ids():
    first = multi_step.Session()
    tools = {t.name: t for t in first.tools()}
    tools["find_customer"](query="ana@example.com")
    got = tools["latest_order"](customer_id="C-7")
    assert got == "Order A-1042 placed 2026-11-18, tracking number JD0142", "an issued id is accepted"
    other = {t.name: t for t in multi_step.Session().tools()}
    with pytest.raises(ValueError, match="find_customer"):
        other["latest_order"](customer_id="C-7")
