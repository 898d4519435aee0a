"""User text rendered through st.markdown stays text: no markup, no links."""

import re

import pytest

from ui.widgets import plain

# GitHub-flavoured markdown's autolink literals (what remark-gfm turns into links)
AUTOLINK = re.compile(r"(?i)(www\.|https?://|[\w.+-]+@[\w-]+\.\w)")


def _as_rendered_text(escaped: str) -> str:
    return re.sub(r"\\(.)", r"\1", escaped)


@pytest.mark.parametrize(
    "text",
    [
        "see www.evil.example now",
        "https://evil.example/x",
        "mail me@evil.example",
        "WWW.SHOUT.EXAMPLE",
        "mailto:a@b.co",
    ],
)
def test_addresses_are_not_autolinked(text):
    shown = _as_rendered_text(plain(text))
    assert not AUTOLINK.search(shown)
    assert shown.replace("\u200b", "") == text  # what people see is what was typed


@pytest.mark.parametrize("text", ["**bold**", "<b>x</b>", "[a](http://b)", ":red[x]", "$x$", "# h"])
def test_markdown_and_html_are_escaped(text):
    escaped = plain(text)
    assert all(escaped[i - 1] == "\\" for i, ch in enumerate(escaped) if ch in "*<>[]()$#:")
    assert _as_rendered_text(escaped).replace("\u200b", "") == text


def test_line_breaks_become_spaces():
    assert plain("a\n\nb\tc") == "a b c"


def test_a_moment_without_the_browsers_zone_is_said_in_utc():
    from datetime import UTC, datetime

    from ui.widgets import moment

    assert moment(datetime(2026, 11, 21, 14, 5, tzinfo=UTC)) == "21 Nov 2026, 14:05 UTC"
    assert moment(datetime(2026, 11, 21, 14, 5)) == "21 Nov 2026, 14:05 UTC"  # naive: UTC
