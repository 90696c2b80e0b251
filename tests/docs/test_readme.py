"""The README says what the code does."""

from __future__ import annotations

from pathlib import Path

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
