"""Check for the ab-testing step: stable assignment, per-arm tallies, and a
two-proportion z-test checked against values computed by hand."""

import pytest

import ab_testing

from tutor import lesson_api


def fnv1a64(text):
    """The same FNV-1a a Python analytics job would use to find a user's arm."""
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) % 2**64
    return h


def expected_arm(salt, user_id, split_a=0.5):
    return "a" if fnv1a64(f"{salt}:{user_id}") % 10_000 < split_a * 10_000 else "b"


def users(n):
    return [f"user-{i}" for i in range(n)]


def test_module_registers_the_gil_probe():
    got = [name for name in dir(ab_testing) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_assignment_is_the_documented_stable_hash():
    exp = ab_testing.Experiment("exp-1")
    ids = users(20)
    got = [exp.arm(u) for u in ids]
    assert got == [expected_arm("exp-1", u) for u in ids], (
        "arm(user_id) should be fnv1a64(\"{salt}:{user_id}\") % 10_000 < split_a * 10_000 "
        "→ \"a\", else \"b\": the same in every process and every language"
    )


def test_the_split_and_the_salt_are_honoured():
    ids = users(4000)
    fifth = ab_testing.Experiment("exp-1", split_a=0.2)
    share = sum(fifth.arm(u) == "a" for u in ids) / 4000
    assert 0.17 < share < 0.23, f"split_a=0.2 should send about 20% of users to arm a, got {share:.1%}"
    one, two = ab_testing.Experiment("exp-1"), ab_testing.Experiment("exp-2")
    moved = sum(one.arm(u) != two.arm(u) for u in ids) / 4000
    assert 0.4 < moved < 0.6, (
        f"{moved:.1%} of users changed arm between salts exp-1 and exp-2; about half "
        "should: hash the salt together with the user id"
    )


def test_each_arm_runs_its_own_program():
    exp = ab_testing.Experiment("exp-1")
    a_user = next(u for u in users(100) if expected_arm("exp-1", u) == "a")
    b_user = next(u for u in users(100) if expected_arm("exp-1", u) == "b")
    before = len(lesson_api.spans())
    got = (exp.ask(a_user, "Which arm am I in?")[0], exp.ask(b_user, "Which arm am I in?")[0])
    assert got == ("a", "b"), "ask() should return the user's arm with the answer"
    if lesson_api.in_tutor_run():
        names = [s.name for s in lesson_api.spans()[before:]
                 if s.kind == "module" and s.name in ("Predict", "ChainOfThought")]
        assert "ChainOfThought" in names, (
            f"arm b should run dspy.ChainOfThought (module spans seen: {names})"
        )


def test_tallies_and_the_z_test_match_the_hand_computed_values():
    exp = ab_testing.Experiment("exp-1")
    a_users = [u for u in users(1000) if expected_arm("exp-1", u) == "a"][:200]
    b_users = [u for u in users(1000) if expected_arm("exp-1", u) == "b"][:200]
    for i, u in enumerate(a_users):
        exp.record(u, i < 120)  # arm a: 120 of 200 = 60%
    for i, u in enumerate(b_users):
        exp.record(u, i < 140)  # arm b: 140 of 200 = 70%
    got = exp.stats()
    assert got == {"a": (200, 120), "b": (200, 140)}, (
        "record(user_id, success) should add one trial (and a success when true) to "
        "the user's own arm"
    )
    # By hand: pooled p = 260/400 = 0.65; se = sqrt(0.65 * 0.35 * (1/200 + 1/200))
    # = 0.0476970; z = (0.70 - 0.60) / se = 2.09657; p = erfc(z / sqrt 2) = 0.0360317.
    z, p = exp.z_test()
    assert (round(z, 4), round(p, 4)) == (2.0966, 0.0360), (
        "z_test() should be the pooled two-proportion z-test, z = (p_b - p_a) / se, "
        "with the two-sided p-value erfc(|z| / sqrt 2)"
    )


def test_a_z_test_without_data_is_a_value_error():
    try:
        ab_testing.Experiment("exp-1").z_test()
    except ValueError:
        got = "ValueError"
    else:
        got = "no error"
    assert got == "ValueError", "with no trials in an arm the test is undefined: raise ValueError"
