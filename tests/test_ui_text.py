"""The one escaping path for data text in Markdown: nothing a data cell holds becomes markup or a link."""

from __future__ import annotations

import re

import pytest

from components.ui import JOINER, text

HOSTILE = [
    "![x](http://evil.invalid/p.png)",
    ":red[alarm]",
    "$x^2$",
    "www.evil.invalid",
    "https://evil.invalid/a",
    "mail me: a@evil.invalid",
    "[click](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "**bold** _it_",
    "# heading",
    "| a | b |",
    "`code`",
    "~~strike~~",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_data_text_cannot_become_markup_or_a_link(raw):
    out = text(raw)
    unescaped = re.sub(r"\\(.)", r"\1", out).replace(JOINER, "")
    assert unescaped == raw, "what the reader sees is the text itself"
    assert not re.search(r"(?<!\\)[!\[\]()*_`$:<>#|~]", out), f"an unescaped Markdown character in {out!r}"
    assert not re.search(r"(?i)www\.|https?:|@[a-z]", out.replace("\\", "")), f"an autolink could start in {out!r}"
