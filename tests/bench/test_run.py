"""`make bench`'s closing table: every ratio against a baseline, from each results file."""

from pathlib import Path

from bench import run


def test_the_summary_lists_each_ratio_column_and_headline_figure(tmp_path: Path, monkeypatch):
    results = tmp_path / "bench" / "results"
    results.mkdir(parents=True)
    (results / "export_stream.md").write_text(
        "# Export\n\n| run | rows/s | vs baseline |\n| --- | ---: | ---: |\n"
        "| baseline: raw cursor | 99,745 | 1.00 |\n| export CSV | 58,376 | 0.59 |\n\nNotes.\n"
    )
    (results / "model_speed.md").write_text(
        "| Measure | Result | Target |\n|---|---:|---|\n"
        "| analyse_csv wall | 19.2 s | |\n| Reader speed-up | **1.99x** | >= 1.8x (meets) |\n"
    )
    monkeypatch.setattr(run, "ROOT", tmp_path)
    table = run.summary(["model_speed", "export_stream", "load"]).splitlines()
    assert table[2:] == [
        "| model_speed | Reader speed-up | 1.99x |",
        "| export_stream | baseline: raw cursor, 99,745 | vs baseline: 1.00 |",
        "| export_stream | export CSV, 58,376 | vs baseline: 0.59 |",
    ]


def test_a_file_that_keeps_earlier_runs_gives_only_the_run_it_names_first(
    tmp_path: Path, monkeypatch
):
    results = tmp_path / "bench" / "results"
    results.mkdir(parents=True)
    (results / "paper.md").write_text(
        "# Paper\n\n## 2026-12-04 17:46\n\n| figure | measured |\n| --- | --- |\n"
        "| pages per second | **15.70** |\n\n## 2026-12-04 14:31\n\n"
        "| figure | measured |\n| --- | --- |\n| pages per second | **3.13** |\n"
    )
    monkeypatch.setattr(run, "ROOT", tmp_path)
    assert run.summary(["paper"]).splitlines()[2:] == ["| paper | pages per second | 15.70 |"]
