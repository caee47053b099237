"""Text out of PubMed XML elements: children, whitespace-normalised text, numbers, mixed
content with inline markup and MathML. The field readers (grading.pubmed.fields) build on these."""

from __future__ import annotations

from lxml import etree


def _child(parent: etree._Element | None, tag: str) -> etree._Element | None:
    return next(parent.iterchildren(tag), None) if parent is not None else None


def _first_children(elem: etree._Element) -> dict:
    """Direct children by tag, the first of each tag winning."""
    found: dict = {}
    for child in elem:
        found.setdefault(child.tag, child)
    return found


def _text(elem: etree._Element | None) -> str | None:
    """The cleaned text of a plain-text element; None when absent or blank."""
    if elem is None:
        return None
    return _clean(elem.text)


def _child_text(parent: etree._Element | None, tag: str) -> str | None:
    """The cleaned text of the first child `tag`; None when absent or blank."""
    return _text(_child(parent, tag))


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed and trimmed, as `" ".join(text.split())`; None for missing or blank.

    Most texts are clean already, and splitting a 2,000-character abstract into words to join
    them again costs more than the rest of its record: printable text holds no whitespace but
    the ASCII space (tabs, newlines, NBSP and other Unicode spaces are not printable), so it is
    clean unless a space doubles or ends it."""
    if not text:
        return None
    if text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " ":
        return text
    return " ".join(text.split()) or None


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _is_math(tag: str) -> bool:
    return tag.rpartition("}")[2].rpartition(":")[2] == "math"


def _mixed_text(elem: etree._Element | None) -> str | None:
    """All text of an element with inline markup, in document order, whitespace normalised.

    Like `"".join(elem.itertext())`, but whitespace-only text inside MathML is dropped: it is
    layout between tokens (`<mi>x</mi>\\n<mn>2</mn>` reads "x2", not "x 2"). Iterative, because
    deeply nested junk must not hit the recursion limit. Comments and PIs are skipped; an
    unresolved entity keeps its literal "&name;".
    """
    if elem is None:
        return None
    if not len(elem):  # the common case: no markup at all
        return _clean(elem.text)
    parts: list[str] = []
    stack: list = [(elem, False)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        node, in_math = item
        tag = node.tag
        if isinstance(tag, str):
            in_math = in_math or _is_math(tag)
            if node.text and not (in_math and node.text.isspace()):
                parts.append(node.text)
            for child in reversed(node):
                if child.tail and not (in_math and child.tail.isspace()):
                    stack.append(child.tail)
                stack.append((child, in_math))
        elif tag is etree.Entity:
            parts.append(node.text)
    return _clean("".join(parts))
