"""Check for the rag-evaluation step: retrieval metrics in Rust, dspy.Evaluate on answers."""

import pytest

import rag_evaluation as re_

from tutor import lesson_api

GIL_QUESTION = "Which call releases the GIL so Python threads run while Rust works?"


@pytest.fixture(scope="module")
def pipeline():
    return re_.Pipeline(k=3, candidates=8, budget=120)


def rounded(values):
    return tuple(round(v, 4) + 0.0 for v in values)



def test_module_registers_the_gil_probe():
    got = [name for name in dir(re_) if name == "_gil_probe_drain"]
    assert got == ["_gil_probe_drain"], (
        "the module has no _gil_probe_drain(): keep `gil_probe::register(m)?;` in the #[pymodule]"
    )


def test_metrics_match_hand_computed_values():
    got = rounded(re_.metrics([3, 1, 7, 2], [1, 2], 3))
    assert got == (0.3333, 0.5, 0.5, 0.3869), (
        f"metrics([3, 1, 7, 2], relevant [1, 2], k=3) gave {got}. By hand: precision@3 = 1/3 "
        "(only 1 in the top 3), recall@3 = 1/2 (1 of 2 relevant found), reciprocal rank = "
        "1/2 (first relevant at rank 2), NDCG@3 = (1/log2(3)) / (1/log2(2) + 1/log2(3)) = 0.3869"
    )


def test_metrics_edge_cases():
    got = [rounded(re_.metrics([1, 2, 3], [1, 2], 3)), rounded(re_.metrics([5, 6], [1], 2)),
           rounded(re_.metrics([1, 2], [], 2)), rounded(re_.metrics([], [1], 3))]
    assert got == [(0.6667, 1.0, 1.0, 1.0), (0.0,) * 4, (0.0,) * 4, (0.0,) * 4], (
        f"got {got}: a perfect ranking has recall and NDCG 1; no relevant id retrieved, no "
        "relevant ids at all, or nothing retrieved all give 0 (never a division by zero)"
    )


def test_the_retrieval_report_averages_the_labelled_queries(pipeline):
    report = pipeline.retrieval_report(3)
    print(f"\nretrieval, k=3, {report.queries} labelled queries: precision {report.precision:.3f}"
          f"  recall {report.recall:.3f}  MRR {report.mrr:.3f}  NDCG {report.ndcg:.3f}")
    got = (report.queries, rounded([report.precision, report.recall, report.mrr, report.ndcg]))
    assert got == (14, (0.3333, 0.9286, 0.869, 0.8608)), (
        "over the 14 labelled queries the pipeline (hybrid → rerank, k=3) should score "
        f"precision 0.333, recall 0.929, MRR 0.869, NDCG 0.861; got {got}"
    )


def test_ask_runs_the_combined_pipeline(pipeline):
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    answer = pipeline.ask(GIL_QUESTION)
    source = lesson_api.answered_by(before)
    got = [p.split("]")[0] + "]" for p in answer.passages]
    assert got == ["[1]", "[2]", "[4]"], (
        f"the LM should see the reranked, packed passages [1], [2], [4], got {got}"
    )
    if source == "script":
        assert answer.citations == [1], "the offline LM cites [1]"


def test_dspy_evaluate_scores_the_answers(pipeline):
    if not lesson_api.in_tutor_run():
        pytest.skip("needs the LM the tutor configures")
    before = len(lesson_api.spans())
    score = pipeline.evaluate_answers()
    source = lesson_api.answered_by(before)
    evaluations = [s for s in lesson_api.spans()[before:] if s.kind == "evaluate"]
    assert len(evaluations) == 1, (
        "evaluate_answers() should run one dspy.Evaluate over the devset"
    )
    print(f"\nanswer quality (dspy.Evaluate, answer_metric): {score}%")
    if source == "script":
        assert score == 75.0, (
            f"the offline LM answers 3 of the 4 devset questions right (the payload-filter "
            f"answer misses 'filter' and cites nothing): expected 75.0, got {score}"
        )
    else:
        assert 0.0 <= score <= 100.0, f"Evaluate's score is a percentage, got {score}"


def test_metrics_run_without_the_gil(pipeline):
    pipeline.retrieval_report(3)
    samples = lesson_api.gil_samples(re_)
    got = sorted(label for label in ("metrics", "rerank") if samples.get(label, {}).get("detached_ns"))
    assert got == ["metrics", "rerank"], (
        f"detached work seen for {got}: computing the metrics (label \"metrics\") is pure "
        "Rust: run it inside gil_probe::detach"
    )
