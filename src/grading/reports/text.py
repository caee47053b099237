"""Claim text as a reader quotes it (pages and CSV); the stored text and its offsets stay exact."""

from __future__ import annotations

import re

MD_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
MD_LINK_RE = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
HTML_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
EMPHASIS_RE = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`)")


def display_text(text: str | None) -> str:
    """A claim as a reader quotes it: Markdown links reduced to their words ("valves
    ([Lancet 1979](https://…))" -> "valves (Lancet 1979)"), images and HTML tags dropped,
    emphasis marks removed, whitespace folded. Only for showing: the stored claim_text and its
    offsets into the source text stay exact."""
    if not text:
        return ""
    out = MD_IMAGE_RE.sub(lambda m: m.group(1), text)
    out = MD_LINK_RE.sub(lambda m: m.group(1), out)
    out = HTML_TAG_RE.sub("", out)
    out = EMPHASIS_RE.sub("", out)
    return " ".join(out.split())
