"""Reading E-utilities replies (pure): esearch, epost and ECitMatch bodies -> values.

Each parser raises `EutilsReplyError` for a body that is an error message or not the reply
asked for (HTML, truncated, garbled): the caller retries those. efetch bodies are read by
`grading.pubmed.parser.parse_efetch_reply`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from grading.pubmed.source import SearchAnswer


class EutilsReplyError(ValueError):
    """A reply that is an error message, or not the reply asked for (HTML, truncated, garbled)."""


class NcbiErrorReply(EutilsReplyError):
    """A well-formed reply carrying NCBI's own `ERROR` ("Search Backend failed", "Empty Response")."""


def parse_esearch_reply(body: bytes) -> SearchAnswer:
    """An esearch reply (JSON or XML) -> SearchAnswer.

    Raises EutilsReplyError for `ERROR` replies and bodies that are not esearch replies
    (worth retrying). Unknown fields, or phrases PubMed dropped from a query that still
    matched, give a non-authoritative answer with `error` (not worth retrying).
    """
    head = body.lstrip()[:1]
    try:
        if head == b"{":
            result = json.loads(body)["esearchresult"]
            if "ERROR" in result:
                raise NcbiErrorReply(f"esearch error: {result['ERROR']}")
            errors = result.get("errorlist") or {}
            phrases, fields = errors.get("phrasesnotfound") or [], errors.get("fieldsnotfound") or []
            count, ids = int(result["count"]), [int(i) for i in result.get("idlist", [])]
        elif head == b"<":
            root = ET.fromstring(body)
            if root.tag != "eSearchResult":
                raise EutilsReplyError(f"not an esearch reply: <{root.tag}>")
            if root.findtext("ERROR"):
                raise NcbiErrorReply(f"esearch error: {root.findtext('ERROR')}")
            phrases = [e.text or "" for e in root.iterfind("ErrorList/PhraseNotFound")]
            fields = [e.text or "" for e in root.iterfind("ErrorList/FieldNotFound")]
            count, ids = int(root.findtext("Count") or ""), [int(e.text or "") for e in root.iterfind("IdList/Id")]
        else:
            raise EutilsReplyError("not an esearch reply")
    except (ValueError, KeyError, TypeError, ET.ParseError) as exc:
        if isinstance(exc, EutilsReplyError):
            raise
        raise EutilsReplyError(f"unreadable esearch reply: {exc}") from None
    if fields:
        return SearchAnswer((), 0, False, f"PubMed could not read the query: {', '.join(fields)}")
    if phrases and count:
        # PubMed drops phrases it cannot find and searches with the rest: not this query's answer.
        return SearchAnswer((), 0, False, f"PubMed ignored phrases it did not find: {', '.join(phrases)}")
    return SearchAnswer(tuple(ids), count, authoritative=True)


def parse_epost_reply(body: bytes) -> tuple[str, int]:
    """An epost reply -> (WebEnv, query_key); EutilsReplyError otherwise."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise EutilsReplyError(f"unreadable epost reply: {exc}") from None
    webenv, key = root.findtext("WebEnv"), root.findtext("QueryKey")
    if root.tag == "ePostResult" and root.findtext("ERROR"):
        raise NcbiErrorReply(f"epost error: {root.findtext('ERROR')}")
    if root.tag != "ePostResult" or root.findtext("ERROR") or not webenv or not (key or "").isdigit():
        raise EutilsReplyError(f"epost failed: {root.findtext('ERROR') or 'no WebEnv in reply'}")
    return webenv, int(key or 0)


def parse_ecitmatch_reply(text: str) -> dict[str, tuple[int | None, str, str | None]]:
    """ECitMatch's plain text -> {key: (pmid, status, detail)}; EutilsReplyError for other bodies."""
    out: dict[str, tuple[int | None, str, str | None]] = {}
    for line in filter(None, (ln.strip() for ln in text.splitlines())):
        fields = line.split("|")
        if len(fields) < 7:
            raise EutilsReplyError(f"not an ecitmatch line: {line[:80]!r}")
        key, answer = fields[5], fields[6].strip()
        if answer.isdigit():
            out[key] = (int(answer), "found", None)
        elif answer.startswith("NOT_FOUND;INVALID_JOURNAL"):
            out[key] = (None, "invalid_journal", answer)
        elif answer.startswith("NOT_FOUND"):
            out[key] = (None, "not_found", None)
        elif answer.startswith("AMBIGUOUS"):
            out[key] = (None, "ambiguous", answer)
        else:
            raise EutilsReplyError(f"unknown ecitmatch answer {answer[:80]!r}")
    return out
