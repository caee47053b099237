"""HTML to text that keeps the page's structure, for the document model.

A renderer of our own over lxml, so nothing a reader sees is lost to main-content guessing
(a hero banner or footer with a claim stays): one block a line and a blank line between
blocks, headings on their own line, ordered-list items numbered ("2. Smith J ..."), other
items as "- ", footnote markers (`<sup>`, `href="#ref2"`, Wikipedia's `[2]`) as "[n]" where n
is the number of the list item the anchor points to, links as `[text](url)` so their targets
survive. Scripts, styles, navigation and forms are not text. The walk is iterative and
linear: a page of 10,000 links or anchors to nowhere renders like any other.
"""

from __future__ import annotations

import re
import urllib.parse

SKIP = frozenset({"script", "style", "noscript", "template", "nav", "form", "button", "select", "svg", "iframe",
                  "head", "title", "meta", "link", "textarea", "option", "canvas", "object", "embed"})
BLOCK = frozenset({"p", "div", "section", "article", "header", "footer", "main", "aside", "blockquote", "figure",
                   "figcaption", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "dl", "ul", "ol",
                   "table", "tr", "hr", "pre", "address", "details", "summary", "body", "html"})
CELL = frozenset({"td", "th"})
MARKER_TEXT_RE = re.compile(r"^\[?\s*(\d{1,3}(?:\s*[,–-]\s*\d{1,3})*)\s*\]?$")
BACKLINK_TEXT_RE = re.compile(r"^[\s\^↑↩︎⤴]*$|^\s*(?:back|return|jump up)\b", re.IGNORECASE)
SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2009\u200a\u202f]+")


def _flat(s: str) -> str:
    """Source line breaks are spaces; only <br> and blocks break a line."""
    return s.replace("\n", " ").replace("\r", " ")


def _local(tag: object) -> str | None:
    return tag.split("}")[-1].lower() if isinstance(tag, str) else None


def list_numbers(root) -> dict[object, int]:  # type: ignore[no-untyped-def]
    """Each <li> of an <ol> with its number (start= and value= honoured)."""
    out: dict[object, int] = {}
    for ol in root.iter("ol"):
        try:
            n = int(ol.get("start") or 1)
        except ValueError:
            n = 1
        for li in ol:
            if _local(li.tag) != "li":
                continue
            try:
                n = int(li.get("value")) if li.get("value") else n
            except ValueError:
                pass
            out[li] = n
            n += 1
    return out


def anchor_targets(root, numbers: dict[object, int]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """id (or name) -> footnote number, for anchors on or inside a list item: an <ol> item's
    number, an unnumbered list's position (rendered "- ", matched by order)."""
    items = dict(numbers)
    for ul in root.iter("ul"):
        lis = [li for li in ul if _local(li.tag) == "li"]
        if any(li.get("id") for li in lis):
            items.update({li: n for n, li in enumerate(lis, start=1)})
    out: dict[str, int] = {}
    for li, n in items.items():
        for el in (li, *li.iterdescendants()):
            for key in (el.get("id"), el.get("name") if _local(el.tag) == "a" else None):
                if key:
                    out.setdefault(key, n)
    return out


def render(root) -> str:  # type: ignore[no-untyped-def]
    """The text of an lxml HTML tree, blocks kept (see the module's docstring)."""
    numbers = list_numbers(root)
    targets = anchor_targets(root, numbers)
    lines: list[str] = []
    cur: list[str] = []
    links: dict[object, str] = {}  # open <a> elements written as "[text](url)"

    def flush() -> None:
        line = SPACE_RE.sub(" ", "".join(cur)).strip()
        cur.clear()
        for part in line.split("\n"):
            part = part.strip()
            if part:
                lines.append(part)

    # (element, entering) pairs on an explicit stack: no recursion, whatever the depth.
    stack: list[tuple[object, bool]] = [(root, True)]
    while stack:
        el, entering = stack.pop()
        tag = _local(el.tag)  # type: ignore[attr-defined]
        if not entering:
            if tag in BLOCK:
                flush()
                if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote"):
                    lines.append("")
            elif tag in CELL:
                cur.append(" ")
            elif tag == "a" and el in links:
                cur.append(f"]({links.pop(el)})")
            if el.tail:  # type: ignore[attr-defined]
                cur.append(_flat(el.tail))  # type: ignore[attr-defined]
            continue
        if tag is None or tag in SKIP:  # comments, processing instructions, non-text elements
            if el is not root and el.tail:  # type: ignore[attr-defined]
                cur.append(_flat(el.tail))  # type: ignore[attr-defined]
            continue
        if tag == "br":
            cur.append("\n")
            if el.tail:  # type: ignore[attr-defined]
                cur.append(_flat(el.tail))  # type: ignore[attr-defined]
            continue
        if tag in BLOCK:
            flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                lines.append("")
        if tag == "li":
            parent = el.getparent()  # type: ignore[attr-defined]
            cur.append(f"{numbers[el]}. " if el in numbers else ("" if _local(getattr(parent, "tag", None)) == "ol"
                                                                  else "- "))
        marker = footnote_marker(el, tag, targets)
        if marker is not None:
            if marker:
                cur.append(marker)
            if el.tail:  # type: ignore[attr-defined]
                cur.append(_flat(el.tail))  # type: ignore[attr-defined]
            continue
        if tag == "a":
            href = (el.get("href") or "").strip()  # type: ignore[attr-defined]
            if urllib.parse.urlsplit(href).scheme.lower() in {"http", "https"} and not any(c.isspace() for c in href):
                m = MARKER_TEXT_RE.match((el.text_content() or "").strip())  # type: ignore[attr-defined]
                if m:  # <a href="…/pubmed/1/"><sup>1</sup></a> or <a …>[2]</a>: one marker, its target kept
                    cur.append(f"[{m.group(1)}]({href})")
                    if el.tail:  # type: ignore[attr-defined]
                        cur.append(_flat(el.tail))  # type: ignore[attr-defined]
                    continue
                links[el] = href
                cur.append("[")
        stack.append((el, False))
        if el.text:  # type: ignore[attr-defined]
            cur.append(_flat(el.text))  # type: ignore[attr-defined]
        stack.extend((child, True) for child in reversed(list(el)))  # type: ignore[call-overload]
    flush()
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def footnote_marker(el, tag: str | None, targets: dict[str, int]) -> str | None:  # type: ignore[no-untyped-def]
    """"[n]" for a footnote marker element, "" for a back-link to drop, None for anything else.

    A `<sup>` of digits, or an in-page anchor to a numbered list item, is a marker; its
    number is the item's when the anchor points to one. An anchor whose target is missing
    keeps its own digits; a back-link ("^", "↑") from a reference to its marker is dropped.
    """
    if tag not in ("sup", "a"):
        return None
    text = (el.text_content() or "").strip()
    href = ""
    if tag == "a":
        href = (el.get("href") or "").strip()
    else:
        inner = [a for a in el.iter("a") if (a.get("href") or "").startswith("#")]
        href = (inner[0].get("href") or "").strip() if inner else ""
        if not inner and any((a.get("href") or "").strip() for a in el.iter("a")):
            return None  # <sup><a href="https://…">1</a></sup>: the link carries it
    if href.startswith("#"):
        target = urllib.parse.unquote(href[1:])
        if target in targets:
            return f"[{targets[target]}]"
        if BACKLINK_TEXT_RE.match(text):
            return ""
        m = MARKER_TEXT_RE.match(text)
        return f"[{m.group(1)}]" if m else None
    if tag == "sup":
        m = MARKER_TEXT_RE.match(text)
        return f"[{m.group(1)}]" if m else None
    return None
