"""Renders the socket lifecycle tables of ``socket/_state.py`` as README Markdown.

``python -m tests.docs.lifecycle`` prints the section body; a test checks the README holds
exactly this text, so the diagram cannot drift from the code.
"""

from __future__ import annotations

from itertools import groupby

from wintersockets.socket._state import transition_table

__all__ = ["render_lifecycle"]

_TITLES = {
    "socket": "The socket",
    "read": "The read direction",
    "write": "The write direction",
}


def render_lifecycle() -> str:
    """One Markdown table per machine: state, event, new state."""
    parts: list[str] = []
    for machine, rows in groupby(transition_table(), key=lambda row: row[0]):
        parts.append(f"**{_TITLES.get(machine, machine)}**\n")
        parts.append("| state | event | new state |")
        parts.append("|---|---|---|")
        parts.extend(f"| {state} | {event} | {new} |" for _, state, event, new in rows)
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render_lifecycle())
