"""The README says what the code does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.lifecycle import render_lifecycle

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lifecycle_tables_are_generated_from_the_state_machine() -> None:
    assert render_lifecycle() in README.read_text(encoding="utf-8")


def test_readme_starts_with_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```sh", 1)[1].split("```", 1)[0]
    assert "scripts/install && echo" in first_block
    assert "wintersockets connect" in first_block
    assert "scripts/install && scripts/test" in first_block


def test_readme_streams_example_runs_and_prints_what_it_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Streams on their own", 1)[1]
    example = section.split("```python", 1)[1].split("```", 1)[0]
    exec(compile(example, "README.md", "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.splitlines() == [
        "HELLO ",
        "STREAMS",
        "['héllo']",
        "b'abcdefgh'",
        "[0, 1, 2, 3, 4]",
    ]
