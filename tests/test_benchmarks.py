"""The benchmark script runs (smoke mode: tiny shapes, two documents), so it cannot rot."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent / "benchmarks" / "bench.py"


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_benchmark_smoke(tmp_path):
    bench = load(BENCH, "bench")
    assert bench.main(["--smoke", "--scaling", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]) == 0
    report = json.loads((tmp_path / "out" / "tiny-beam4.json").read_text())
    systems = [r["system"] for r in report["systems"]]
    assert systems[0] == "baseline" and "torch" in systems
    assert report["args"]["input_tokens"] == 512  # the model's full input, exactly
    for row in report["systems"]:
        assert row["docs_per_s"] > 0 and row["peak_rss_mb"] > 0
        # 4 output tokens forced per document (the library drops pad tokens a random model may emit)
        assert 0 < row["tokens_per_s"] <= row["docs_per_s"] * 4 * (1 + 1e-9)
    if "ctranslate2" in systems:
        assert [r["factor"] for r in report["length_scaling"]] == [1, 4]
        assert report["length_scaling"][1]["chunks"] > 1
    assert "| baseline |" in (tmp_path / "out" / "tiny-beam4.md").read_text()


@pytest.mark.slow
def test_ray_benchmark_smoke(tmp_path):
    import pytest

    pytest.importorskip("ray", reason="Ray is not installed (pip install 'summarize[ray]')")
    ray_bench = load(BENCH.parent / "ray_bench.py", "ray_bench")
    assert ray_bench.main(["--smoke", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]) == 0
    report = json.loads((tmp_path / "out" / "ray-tiny.json").read_text())
    assert [r["system"].split(",")[0] for r in report["rows"]] == ["single", "ray", "ray"]
    assert all(r["docs_per_s"] > 0 for r in report["rows"])


@pytest.mark.slow
def test_faithfulness_benchmark_runs(tmp_path):
    bench = load(BENCH.parent / "faithfulness_bench.py", "faithfulness_bench")
    assert bench.main(["--runs", "1", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "faithfulness.json").read_text())
    assert report["speed"]["pairs"] == 9 and report["speed"]["ms_per_pair"] > 0
    assert report["labelled"]["recall"] == 1.0  # no missed wrong number, date or name on the labelled cases


def test_gpu_benchmark_code_path_runs_in_smoke_mode_on_cpu(tmp_path):
    bench = load(BENCH, "bench_gpu")
    assert bench.main(["--smoke", "--device", "cuda", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]) == 0
    report = json.loads((tmp_path / "out" / "tiny-beam4-cuda.json").read_text())
    assert [r["system"] for r in report["systems"]] == ["baseline", *bench.GPU_SYSTEMS]
    assert all(r["docs_per_s"] > 0 for r in report["systems"])


def test_per_round_speedup_pairs_each_round_with_its_baseline(capsys, tmp_path):
    bench = load(BENCH, "bench_render")
    baseline = {"system": "baseline", "runs": [10.0, 20.0, 12.0]}
    # A slow spell in round 2 slows both: per round the system is 2x, 2x and 3x.
    system = {"system": "x", "runs": [5.0, 10.0, 4.0]}
    assert bench.paired_speedup(system, baseline) == 2.0
    assert bench.paired_speedup(system, None) == 1.0
    report = {
        "args": {"shape": "tiny", "beams": 4, "input_tokens": 512, "new_tokens": 4, "batch_size": 2, "docs": 2, "runs": 3},
        "machine": {"cpu": "cpu", "cores": 2, "torch": "t", "transformers": "t", "ctranslate2": "c"},
        "systems": [
            {**baseline, "s_per_doc": 6.0, "docs_per_s": 0.17, "tokens_per_s": 1.0, "peak_rss_mb": 100},
            {**system, "s_per_doc": 2.5, "docs_per_s": 0.4, "tokens_per_s": 2.0, "peak_rss_mb": 50, "speedup": 2.4, "memory_ratio": 0.5},
        ],
    }
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(report))
    assert bench.main(["--render", str(saved)]) == 0
    assert "| x | 2.50 | 0.400 | 2.0 | 50 | 2.40x | 2.00x | 0.50 |" in capsys.readouterr().out


def test_encodings_benchmark_decodes_every_case_of_its_test_set(tmp_path):
    encodings = load(BENCH.parent / "encodings.py", "encodings_bench")
    assert encodings.main(["--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "encodings.json").read_text())
    right, cases = report["totals"]["library"]
    assert cases > 1000 and right == cases, report["first_failures"]["library"]
    # The rule it replaced fails the damaged-UTF-8 and mixed-script cases: the test set can tell them apart.
    assert report["totals"]["before"][0] < cases / 2


@pytest.mark.slow
def test_precision_benchmark_smoke_on_both_devices_code_paths(tmp_path):
    precision = load(BENCH.parent / "precision.py", "precision_bench")
    for device, stem, configs in (("cpu", "precision-tiny", {"onednn-int8", "mkl-float32"}),
                                  ("cuda", "precision-tiny-cuda", {"ct2-int8", "ct2-float32", "torch-bfloat16", "torch-float32"})):
        assert precision.main(["--smoke", "--device", device, "--out", str(tmp_path), "--cache", str(tmp_path / "cache")]) == 0
        report = json.loads((tmp_path / f"{stem}.json").read_text())
        rows = {r["config"]: r for r in report["configs"]}
        assert set(rows) == configs and not any("error" in r for r in rows.values())
        for r in rows.values():
            assert 0 <= r["agree"] <= r["positions"] == 2 * 4 and r["non_finite"] == 0 and r["docs_per_s"] > 0
        # float32 is the reference's own precision: it agrees on every position.
        assert rows["mkl-float32" if device == "cpu" else "torch-float32"]["agree"] == 8


@pytest.mark.slow
def test_threads_benchmark_smoke(tmp_path):
    threads = load(BENCH.parent / "threads.py", "threads_bench")
    assert threads.main(["--smoke", "--configs", "torch-1,ctranslate2-default", "--out", str(tmp_path), "--cache", str(tmp_path / "cache")]) == 0
    report = json.loads((tmp_path / "threads-tiny.json").read_text())
    assert [r["config"] for r in report["configs"]] == ["torch-1", "ctranslate2-default"]
    assert all(r["idle"] > 0 and r["busy"] > 0 for r in report["configs"])


def test_textrank_benchmark_runs_the_command_and_reports_time_and_memory(tmp_path):
    textrank = load(BENCH.parent / "textrank.py", "textrank_bench")
    doc = textrank.make_document(5_000, "en")
    assert 4_900 <= len(doc) <= 5_000 and doc == textrank.make_document(5_000, "en")  # seeded
    textrank.main(["--sizes", "20000", "--runs", "1", "--out", str(tmp_path)])
    [row] = json.loads((tmp_path / "textrank.json").read_text())["results"]
    assert row["chars"] == 20_000 and row["seconds_median"] > 0 and row["peak_mb_median"] > 10
    assert row["runs"][0]["summary_chars"] > 0


@pytest.mark.slow
def test_serve_load_benchmark_smoke(tmp_path):
    pytest.importorskip("uvicorn")
    serve_load = load(BENCH.parent / "serve_load.py", "serve_load")

    assert serve_load.main(["--smoke", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]) == 0
    report = json.loads((tmp_path / "out" / "serve-tiny-c4.json").read_text())
    assert report["median"]["every_document_answered_once"] and report["median"]["server_exit_codes"] == [0]
