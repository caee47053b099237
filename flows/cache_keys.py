"""Cache keys for the pure stages: the inputs that decide the output, plus the code and
vocabulary that compute it, so a changed extractor or rubric never reuses a stale result."""

from __future__ import annotations

import hashlib
import importlib.util
import pkgutil
from functools import cache
from importlib import resources
from pathlib import Path

import grading
from grading.warehouse.record_rows import xml_sha


@cache
def code_fingerprint() -> str:
    """sha256 over every module of the package, its subpackages (grading.flows and grading.schemas
    included, wherever they are installed from) and every bundled data file (vocabularies, rubric):
    any change to the code or vocabulary that computes a stage invalidates its cache."""
    h = hashlib.sha256(grading.__version__.encode())
    modules = sorted(info.name for info in pkgutil.walk_packages(grading.__path__, "grading."))
    for name in ["grading", *modules]:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            h.update(name.encode() + Path(spec.origin).read_bytes())
    data = resources.files("grading") / "data"
    for item in sorted(data.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            h.update(item.name.encode() + item.read_bytes())
    return h.hexdigest()[:16]


def extract_key(context: object, parameters: dict) -> str:
    """One source version's claims and citations depend on its text (content hash); the name
    is in the key too, because the Document carries it (the same text at two paths is two docs)."""
    source = parameters["source"]
    name = hashlib.sha256(source.source.encode()).hexdigest()[:12]
    return f"extract-{source.content_hash}-{name}-{code_fingerprint()}"


def grade_key(context: object, parameters: dict) -> str:
    """Grades depend on the claims, what every citation resolved and fetched to (record
    versions by XML hash), and the rubric."""
    doc, resolutions, retrieval, rubric = (parameters[k] for k in ("doc", "resolutions", "retrieval", "rubric"))
    h = hashlib.sha256(repr(rubric).encode())  # every threshold, not just the version label
    h.update(f"{doc.source.source}\0{doc.source.content_hash}".encode())
    for key in sorted(resolutions):
        r = resolutions[key]
        h.update(repr((key, r.status, r.pmid, r.candidates)).encode())
    result = retrieval.result
    for pmid in sorted(result.records):
        h.update(f"{pmid}:{xml_sha(result.records[pmid].raw_xml)}".encode())
    h.update(repr((sorted(result.not_found), sorted(result.unavailable))).encode())
    return f"grade-{h.hexdigest()[:32]}-{code_fingerprint()}"
