"""``bench/run.py --quick`` runs every part and prints every row beside its baseline.

Structure only, never timing (a shared, noisy machine): the rows the issue asks
for are there with a baseline measured in the same run; the baseline's answers
equal the engine's; no row grounds a Control; the HTTP bodies never hit the
answer cache; every batch profile is answered; the scale table has the
alternative strategy. Sizes are cut below ``--quick`` to keep the test short.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from livegate.http.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = "4ac77a8"

pytestmark = [pytest.mark.slow, pytest.mark.server]

ENGINE_ROWS = {
    "realistic, no own costs",
    "realistic, no own costs, with a scenario",
    "realistic, no own costs, no scenario",
    "realistic, own costs",
    "light corpus of 0.1 (0-10 documents)",
}
HTTP_ROWS = {
    "POST /v1/evaluate, distinct profiles, no own costs",
    "POST /v1/evaluate, distinct profiles, each its own costs",
}


def _has_previous() -> bool:
    return (
        shutil.which("git") is not None
        and subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", PREVIOUS], capture_output=True).returncode == 0
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--quick",
            "--json",
            str(out),
            "--profiles",
            "40",
            "--http-seconds",
            "1",
            "--rss-requests",
            "200",
            "--batch-profiles",
            "200",
            "--scale-factors",
            "1,2",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(out.read_text())


def _line(stdout: str, start: str) -> str:
    lines = [x for x in stdout.splitlines() if x.startswith(start)]
    assert len(lines) == 1, f"{start!r}: {lines}"
    return lines[0]


def test_engine_rows_each_beside_the_grounding_per_request(run: tuple[str, dict]) -> None:
    stdout, results = run
    engine = results["engine"]
    assert {r["row"] for r in engine["rows"]} == ENGINE_ROWS
    for row in engine["rows"]:
        line = _line(stdout, row["row"] + " ")
        assert "| ground per request" in line
        assert row["baseline"]["name"] == "ground per request"
        assert row["baseline"]["n"] > 0 and row["engine"]["n"] > 0
        same, compared = row["answers_equal_to_baseline"]
        assert same == compared > 0, row["row"]
        if _has_previous():
            assert row["previous_release"]["n"] == row["engine"]["n"], row["row"]
            assert f"previous release {PREVIOUS}" in line
    # no row grounds anything: the two groundings made at start-up answer every profile
    assert engine["controls_before"] == engine["controls_after"] == 2
    sizes = {r["row"]: r["engine"]["n"] for r in engine["rows"]}
    assert sizes["realistic, no own costs"] + sizes["realistic, own costs"] == engine["profiles"] == 40
    assert (
        sizes["realistic, no own costs, with a scenario"] + sizes["realistic, no own costs, no scenario"]
        == sizes["realistic, no own costs"]
    )


def test_the_corpus_looks_like_traffic(run: tuple[str, dict]) -> None:
    corpus = run[1]["engine"]["corpus"]
    assert corpus["distinct"] == corpus["profiles"]
    assert corpus["holdings_density_min"] < 0.1 and corpus["holdings_density_max"] > 0.5
    assert 0.15 < corpus["with_own_costs"] < 0.55
    assert 0.3 < corpus["with_scenario"] < 0.7


def test_http_rows_beside_health_with_no_answer_cache_hit(run: tuple[str, dict]) -> None:
    stdout, results = run
    if shutil.which("wrk") is None:
        assert "skipped" in results["http"] and "skipped" in results["rss"]
        return
    http = results["http"]
    assert {r["row"] for r in http["rows"]} == HTTP_ROWS
    assert http["distinct_bodies"] >= 10_000
    assert http["answer_cache_hits"] == 0
    # the server measured is livegate serve as configured: 2 workers of POOL_SIZE threads each
    threads = int(os.environ.get("LIVEGATE_POOL_SIZE") or DEFAULTS["POOL_SIZE"])
    assert http["threads"] == threads
    assert f"gunicorn 2 workers of {threads} threads" in stdout
    for row in http["rows"]:
        assert "| GET /v1/health" in _line(stdout, row["row"] + " ")
        assert row["baseline"]["rps"] > 0 and row["requests"] > 0
        assert row["rate_vs_health"] == pytest.approx(row["rps"] / row["baseline"]["rps"])
        # the workers' CPU time per request: an evaluation costs them more than a health check
        assert row["cpu_ms_per_request"] > row["baseline"]["cpu_ms_per_request"] > 0
        assert f" {row['cpu_ms_per_request']:.2f} " in _line(stdout, row["row"] + " ")
        # both workers served: the least busy one's CPU time over the busiest's, printed beside it
        for measured in (row, row["baseline"]):
            assert 0 < measured["workers_cpu_balance"] <= 1
        assert f" {row['workers_cpu_balance']:.2f} " in _line(stdout, row["row"] + " ")
    rss = results["rss"]
    assert rss["requests"] >= 200 and rss["same_workers"]
    assert len(rss["baseline"]["rss_mb"]) == len(rss["rss_after_mb"]) == len(rss["change"]) == 2
    assert "| baseline: RSS before" in _line(stdout, rss["row"] + ":")
    # each worker's caches from /v1/health, before and after the run: far from full at this size, they
    # only grow, within their bounds
    assert len(rss["engine_caches"]) == 2
    for caches in rss["engine_caches"]:
        before, after = caches["before"], caches["after"]
        assert 0 < before["fragments"]["bytes"] <= after["fragments"]["bytes"] <= after["fragments"]["limit"]
        assert 0 < before["sentences"]["entries"] <= after["sentences"]["entries"] < after["sentences"]["limit"]
        assert 0 < before["plans"]["bytes"] <= after["plans"]["bytes"] <= after["plans"]["limit"]
        assert 0 < before["plan_explanations"]["entries"] <= after["plan_explanations"]["entries"]
    assert "worker 2's caches, before → after: fragments" in stdout


def test_batch_and_scale_rows(run: tuple[str, dict]) -> None:
    stdout, results = run
    batch = results["batch"]
    assert batch["answered"] == batch["profiles"] == 200
    assert batch["same_rows"]  # the summary's rows are those written from full answers
    assert batch["full_answers"]["profiles_per_s"] > 0
    line = _line(stdout, batch["row"] + ":")
    assert "| baseline: the same rows from full answers" in line and "(the same rows)" in line
    assert "| target (issue 11): 2,000 profiles/s" in line
    scale = results["scale"]["rows"]
    assert [r["factor"] for r in scale] == [1, 2]
    assert scale[1]["ground_rules"] > scale[0]["ground_rules"]
    assert scale[1]["categories"] == 2 * scale[0]["categories"]
    for r in scale:
        assert r["bb_profiles"] > 0 and r["bb_median_ms"] is not None  # the alternative strategy, same run
        assert r["growth_ratio"] == pytest.approx(r["evaluation_growth"] / r["program_growth"])
        # the growth's baseline is the shipped knowledge base, timed in the same process on the same profiles
        assert r["one_rules"] == scale[0]["ground_rules"]  # the shipped knowledge base is the 1x synthetic one
        assert r["one_profiles"] == r["profiles"]  # every profile timed on both, in turn
        assert r["evaluation_growth"] == pytest.approx(r["usc_median_ms"] / r["one_median_ms"])
        assert r["program_growth"] == pytest.approx(r["ground_rules"] / r["one_rules"])
        assert r["growth_ratio_across_runs"] == pytest.approx(
            r["usc_median_ms"] / scale[0]["usc_median_ms"] / (r["ground_rules"] / scale[0]["ground_rules"])
        )
        assert r["bb_same_cheapest"] + r["bb_timeouts"] <= r["bb_profiles"]
    assert "baseline: bb" in stdout and "1x beside" in stdout


def test_rss_growth_is_read_from_the_highest_of_the_first_and_the_last_tenth() -> None:
    """A worker's RSS is a saw-tooth (freed memory handed back every TRIM_INTERVAL): a single
    snapshot before the run fell just after a trim (148.6 MB, where the first tenth peaked at 155.9),
    and showed +6.3 % for a worker that grew 1.1 % over the run. The highest sample of each tenth
    does not depend on where the snapshots fall."""
    sys.path.insert(0, str(ROOT))
    from bench.run import _first_last_tenth_peaks

    tooth = [150.0, 156.0, 153.0, 148.0, 157.0]  # one worker trims and refills
    samples = [[tooth[i % 5], 100.0 + i] for i in range(40)]  # the other grows steadily
    assert _first_last_tenth_peaks(samples) == [[156.0, 157.0], [103.0, 139.0]]
    assert _first_last_tenth_peaks(samples[:19]) is None
