"""Reading documents: files, folders and http(s) URLs into `Source` values.

The exact decoded text is kept (claims and citations point into it by offset) and its
SHA-256 identifies the version. HTML is reduced to text by trafilatura, keeping link
targets, because citations in pages are usually hyperlinks.
"""

from __future__ import annotations

import errno
import hashlib
import html.parser
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grading.documents.render import render
from grading.errors import GradingError
from grading.models import Source

TEXT_SUFFIXES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown",
                 ".html": "text/html", ".htm": "text/html", ".xhtml": "text/html"}


class SourceError(GradingError):
    """A document that cannot be read; the message is one line naming the document."""


@dataclass(frozen=True)
class SourceFailure:
    source: str
    message: str


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shown_name(spec: str) -> str:
    """A name safe to print and store: bytes of a file name that are not UTF-8 shown as \\xNN."""
    return spec.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def local_problem(spec: str) -> str | None:
    """Why a local path cannot be read at all ("no such file or folder", "symlink loop", "name
    too long"), or None when it is there. Never raises: one bad name must not fail the run."""
    try:
        os.stat(spec)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        if exc.errno == errno.ENAMETOOLONG:
            return "file name too long"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "no such file or folder"
        return exc.strerror or type(exc).__name__
    except ValueError:  # an embedded NUL
        return "not a valid file name"
    return None


def expand_specs(specs: Iterable[str]) -> tuple[list[str], list[SourceFailure]]:
    """Folders become their text/Markdown/HTML files (sorted, recursive, symlinked folders not
    followed); URLs and files stay. What cannot be listed is a failure of its own, one line each."""
    out: list[str] = []
    failures: list[SourceFailure] = []
    for spec in specs:
        if is_url(spec) or not os.path.isdir(spec):
            out.append(spec)
            continue
        found: list[str] = []

        def failed(exc: OSError, spec: str = spec) -> None:
            where = shown_name(exc.filename if isinstance(exc.filename, str) else spec)
            why = "file name too long" if exc.errno == errno.ENAMETOOLONG else (exc.strerror or str(exc))
            failures.append(SourceFailure(source=where, message=f"{where}: folder could not be listed ({why})"))

        for folder, dirs, files in os.walk(spec, onerror=failed):
            dirs.sort()
            found.extend(os.path.join(folder, f) for f in files if Path(f).suffix.lower() in TEXT_SUFFIXES)
        if not found and not failures:
            failures.append(SourceFailure(source=shown_name(spec),
                                          message=f"{shown_name(spec)}: folder holds no .txt, .md or .html documents"))
        out.extend(sorted(found))
    return out, failures


def is_url(spec: str) -> bool:
    """http(s) with a host: `http:notes.txt` is a local file name, not an address."""
    parts = urllib.parse.urlsplit(spec)
    return parts.scheme.lower() in {"http", "https"} and spec[len(parts.scheme) + 1:].startswith("//")


def read_source(spec: str, *, timeout: float = 30.0, max_bytes: int = 20_000_000) -> Source:
    """Read one file or URL. Raises SourceError with a one-line reason."""
    if is_url(spec):
        data, media_type = fetch_url(spec, timeout=timeout, max_bytes=max_bytes)
    else:
        path = Path(spec)
        problem = local_problem(spec)
        if problem and "://" in spec:
            raise SourceError(f"{shown_name(spec)}: only local files and http(s) URLs are read")
        if problem:
            raise SourceError(f"{shown_name(spec)}: {problem}")
        if shown_name(spec) != spec:  # the warehouse, reports and terminals need text
            raise SourceError(f"{shown_name(spec)}: file name is not valid UTF-8; rename the file to read it")
        if not path.is_file():
            raise SourceError(f"{spec}: not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{spec}: {size} bytes is over the {max_bytes}-byte limit")
        data = path.read_bytes()
        media_type = TEXT_SUFFIXES.get(path.suffix.lower(), "text/plain")
    text, encoding = decode_document(spec, data)
    title = None
    if media_type == "text/html" or (media_type == "text/plain" and looks_like_html(text)):
        title = html_title(text)
        text = html_to_text(spec, text)
        media_type = "text/html"
    if not text.strip():
        raise SourceError(f"{spec}: document is empty")
    header_url, body_start = page_header(text)
    return Source(source=spec, content_hash=content_hash(text), text=text, media_type=media_type,
                  encoding=encoding, url=spec if is_url(spec) else header_url,
                  title=title or first_heading(text, body_start), body_start=body_start)


# A saved page often opens with the address it was saved from ("SOURCE: https://…", "URL: …"):
# that line is the page's own address, neither a claim nor a citation.
HEADER_RE = re.compile(r"\A[ \t]*(?:source|url|address|page|retrieved from|saved from)[ \t]*:[ \t]*"
                       r"(?P<url>https?://\S+)[ \t]*(?:\r?\n|\Z)", re.IGNORECASE)
TITLE_MAX_CHARS = 200


def page_header(text: str) -> tuple[str | None, int]:
    """(the saved page's address, where its body begins) from a leading header line; (None, 0) if none."""
    m = HEADER_RE.match(text)
    return (m.group("url"), m.end()) if m else (None, 0)


def first_heading(text: str, start: int = 0) -> str | None:
    """The first non-blank line of the body when it reads as a title: short, no sentence end."""
    for line in text[start:start + 4096].splitlines():
        line = line.strip().strip("#*= \t").strip()
        if not line:
            continue
        if len(line) <= TITLE_MAX_CHARS and not line.endswith((".", ",", ";", ":")):
            return line
        return None
    return None


TITLE_TAG_RE = re.compile(r"<title[^>]*>(?P<title>.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def html_title(html_text: str) -> str | None:
    """The page's <title>, unescaped, whitespace folded; None when there is none."""
    import html as html_module

    m = TITLE_TAG_RE.search(html_text[:200_000])
    if not m:
        return None
    title = " ".join(html_module.unescape(re.sub(r"<[^>]+>", "", m.group("title"))).split())
    return title[:TITLE_MAX_CHARS] or None


def read_sources(specs: Iterable[str], *, timeout: float = 30.0,
                 max_bytes: int = 20_000_000) -> tuple[list[Source], list[SourceFailure]]:
    """Read every document; a bad one is a failure row, never a crash of the others."""
    sources: list[Source] = []
    failures: list[SourceFailure] = []
    seen: set[str] = set()
    expanded, failures = expand_specs(specs)
    for spec in expanded:
        if spec in seen:
            continue
        seen.add(spec)
        try:
            sources.append(read_source(spec, timeout=timeout, max_bytes=max_bytes))
        except SourceError as exc:
            failures.append(SourceFailure(source=shown_name(spec), message=shown_name(str(exc))))
        except (OSError, RecursionError, MemoryError, ValueError, LookupError) as exc:
            # An unreadable file, or a hostile document tripping a library (a parser, a decoder):
            # it fails alone, named, and the others are still read.
            first = shown_name((str(exc).strip().splitlines() or [""])[0][:200])
            failures.append(SourceFailure(source=shown_name(spec), message=f"{shown_name(spec)}: could not be read "
                                                                              f"({type(exc).__name__}: {first})"))
    return sources, failures


def decode_document(spec: str, data: bytes) -> tuple[str, str]:
    """Bytes to text: UTF-8 (with or without BOM) first, else the detected encoding.

    Binary data (NUL bytes, or mostly control characters) is refused rather than guessed at.
    """
    if not data.strip():
        raise SourceError(f"{spec}: document is empty")
    head = data[:65536]
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise SourceError(f"{spec}: binary file, not a text document")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # imported here: only non-UTF-8 input needs it

    best = pick_encoding(from_bytes(data))
    if best is None:
        raise SourceError(f"{spec}: binary or undecodable file, not a text document")
    text = str(best)
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > 0.05 * max(1, min(len(text), 65536)):
        raise SourceError(f"{spec}: binary file, not a text document")
    return text, best.encoding


# Encodings web documents actually use, most common first: among near-equal guesses these win
# over exotic code pages (charset_normalizer alone may read cp1252 French as mac_latin2).
COMMON_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "cp1251", "koi8_r", "cp1250", "iso8859_2", "shift_jis",
                    "euc_jp", "gb18030", "gb2312", "big5", "euc_kr", "cp1253", "cp1254", "cp1255", "cp1256"]


def pick_encoding(matches):  # type: ignore[no-untyped-def]
    candidates = list(matches)
    if not candidates:
        return None
    least = min(m.chaos for m in candidates)
    close = [m for m in candidates if m.chaos <= least + 0.1]
    rank = {name: i for i, name in enumerate(COMMON_ENCODINGS)}
    return min(close, key=lambda m: (rank.get(m.encoding, len(rank)), m.chaos, -m.coherence))


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in text)


# Characters XML cannot hold: never visible text, and lxml refuses to write them back into a tree.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def html_to_text(spec: str, html: str) -> str:
    """The page's text with its structure (grading.documents.render): blocks a line each,
    numbered lists, footnote markers as "[n]", links kept as `[text](url)` so citations
    survive. Nothing is dropped as boilerplate: a hero banner or footer may carry a claim."""
    html = CONTROL_CHARS.sub("", html)
    try:
        root = parse_html(html)
        text = render(root) if root is not None else ""
    except _TooDeep:
        # libxml2 silently drops whatever is nested deeper than it keeps (and trafilatura with
        # it): read such a page without a tree, so no text is lost.
        text = stream_text(html)
    if not text.strip():
        raise SourceError(f"{spec}: HTML has no readable text")
    return text


class _TooDeep(Exception):
    """Markup nested deeper than libxml2 keeps (255 levels): a tree would silently lose text."""


def parse_html(html: str):  # type: ignore[no-untyped-def]
    """An lxml tree of the page; None for hopeless markup; _TooDeep when lxml dropped content."""
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser()
    try:
        root = lxml_html.fromstring(html, parser=parser)
    except Exception:  # noqa: BLE001 - lxml raises several types for hopeless markup
        return None
    if not isinstance(root.tag, str):  # a page that is only a comment or PI ("<body><!") has no tree
        return None
    if any("Excessive depth" in e.message for e in parser.error_log):
        raise _TooDeep()
    return root


class _FlatText(html.parser.HTMLParser):
    """Visible text without building a tree: no depth limit, no recursion, linear time."""

    SKIP = frozenset({"script", "style", "noscript", "template"})
    BLOCKS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "section", "article",
                        "td"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links: list[str | None] = []  # open <a>: its http(s) target, or None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            target = href if urllib.parse.urlsplit(href).scheme.lower() in {"http", "https"} else None
            self.links.append(target)
            if target:
                self.parts.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self.links:
            target = self.links.pop()
            if target:
                self.parts.append(f"]({target})")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def stream_text(html: str) -> str:
    reader = _FlatText()
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    return "\n".join(line for line in lines if line)


def write_links_as_text(root) -> None:  # type: ignore[no-untyped-def]
    """`<a href="https://…">[1]</a>` becomes the text `[1](https://…)`: citations are
    usually hyperlinks, and text extraction would otherwise drop their targets."""
    for a in root.xpath("//a[@href]"):
        href = (a.get("href") or "").strip()
        if urllib.parse.urlsplit(href).scheme.lower() in {"http", "https"}:
            a.text = "[" + (a.text_content() or "")
            for child in list(a):
                a.remove(child)
            a.tail = f"]({href})" + (a.tail or "")


def inline_links(html: str) -> str:
    from lxml import html as lxml_html

    root = parse_html(html)
    if root is None:
        return html
    write_links_as_text(root)
    return lxml_html.tostring(root, encoding="unicode")


def visible_text(html: str) -> str:
    root = parse_html(html)
    if root is None:
        return ""
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    write_links_as_text(root)
    for block in root.xpath("//p|//div|//li|//h1|//h2|//h3|//h4|//h5|//h6|//br|//tr|//section|//article"):
        block.tail = "\n" + (block.tail or "")
    lines = (line.strip() for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s); a redirect to file:, ftp:, javascript: is an error."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urllib.parse.urlsplit(newurl).scheme.lower() not in {"http", "https"}:
            raise SourceError(f"{req.full_url}: redirected to a non-http(s) URL; refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_url(url: str, *, timeout: float, max_bytes: int) -> tuple[bytes, str]:
    """GET a page with a time limit and a size limit. Returns (body, media type).

    `timeout` bounds each socket wait and also the whole body: a server trickling bytes
    cannot hold a run for longer than about twice the limit.
    """
    opener = urllib.request.build_opener(_HttpOnlyRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": "grading/0.1 (evidence grading)"})
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as reply:
            ctype = reply.headers.get_content_type()
            declared = reply.headers.get("Content-Length", "")
            if declared.strip().isdigit() and int(declared) > max_bytes:
                raise SourceError(f"{url}: body of {int(declared)} bytes is over the {max_bytes}-byte limit")
            body = read_body(url, reply, max_bytes + 1, deadline, timeout)
    except SourceError:
        raise
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            if "not allowed" in str(exc.reason):  # urllib itself refuses redirects to file:, data:, ...
                raise SourceError(f"{url}: redirected to a non-http(s) URL; refused") from None
            raise SourceError(f"{url}: redirect refused ({str(exc.reason).strip()[:120]})") from None
        raise SourceError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"{url}: could not be fetched ({reason})") from None
    if len(body) > max_bytes:
        raise SourceError(f"{url}: body is over the {max_bytes}-byte limit")
    if ctype not in {"text/html", "application/xhtml+xml", "text/plain", "text/markdown"}:
        raise SourceError(f"{url}: content type {ctype} is not a text document")
    media = "text/html" if "html" in ctype else ctype
    return body, media


def read_body(url: str, reply, limit: int, deadline: float, timeout: float) -> bytes:  # type: ignore[no-untyped-def]
    """Up to `limit` bytes, checking the deadline after every socket read (read1: whatever
    arrived, so a slow trickle is noticed)."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = reply.read1(min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            raise SourceError(f"{url}: still sending after {timeout:g} s; refused (time limit)")
    return b"".join(chunks)
