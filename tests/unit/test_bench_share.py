"""The share scenario's parsing and its BENCHMARKS.md rows (pure)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import report  # noqa: E402
from bench.engine import BenchError  # noqa: E402
from bench.share import printed  # noqa: E402

TEXT = """\
1. Get the image:
     docker load -i x-scripts-share.tar.gz

2. In the folder with your notebooks and data, start Jupyter Lab:
   Linux, macOS (bash, zsh):
     docker run --rm -p 127.0.0.1:18490:18490 -e JUPYTER_PORT=18490 x/scripts:share
"""


def test_printed_takes_the_command_under_its_heading() -> None:
    assert printed(TEXT, "1. Get the image:") == "docker load -i x-scripts-share.tar.gz"
    assert printed(TEXT, "Linux, macOS (bash, zsh):").startswith("docker run --rm -p")
    with pytest.raises(BenchError, match="printed no line after"):
        printed(TEXT, "Windows PowerShell (Docker Desktop):")


def test_share_rows_show_medians_or_say_not_measured() -> None:
    runs = {"dockyard": [{"share_tarball": 150e6, "share_answer": 20.0, "share_load": 12.0}]}
    derived = report.summarize({"runs": runs})
    text = "\n".join(report.share_table(derived))
    assert "| 150.0 MB |" in text or "| 150 MB |" in text
    assert "| 20.0 s |" in text and "| 12.0 s |" in text
    empty = "\n".join(report.share_table(report.summarize({"runs": {"dockyard": [{}]}})))
    assert empty.count("not measured") == 3
