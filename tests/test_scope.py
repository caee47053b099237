"""Citation scope (grading.documents.scope): which claims each citation supports, by which
rule. Plain-text and HTML pages about invented substances; works are keyed by mention value
(no resolution needed)."""

from __future__ import annotations

import time

from grading import pipeline
from grading.documents.markers import find_markers, parse_numbers
from grading.documents.page_paper import page_paper
from grading.documents.scope import scope_links
from grading.documents.sources import content_hash, html_to_text
from grading.documents.structure import page_structure
from grading.models import Source


def doc_of(text: str, url: str | None = None, body_start: int = 0, media: str = "text/plain") -> pipeline.Document:
    return pipeline.extract_document(Source("page.txt", content_hash(text), text, media, "utf-8", url=url,
                                            body_start=body_start))


def links(doc: pipeline.Document) -> dict[str, set[tuple[str, str]]]:
    """claim text -> {(mention value, method)}."""
    def work(i: int) -> str | None:
        m = doc.mentions[i]
        return None if m.kind == "url" else f"{m.kind}:{m.value}"
    by_id = {c.claim_id: c.text for c in doc.claims}
    out: dict[str, set[tuple[str, str]]] = {}
    for lk in scope_links(doc.page, doc.claims, doc.mentions, doc.attached, work, doc.page_paper):
        out.setdefault(by_id[lk.claim_id], set()).add((doc.mentions[lk.mention].value, lk.method))
    return out


def test_glued_markers_name_numbered_entries() -> None:
    text = ("Examplamide is thought to restore gut bacteria.1, 2 This is widely discussed. "
            "Examplamide reduced the duration of diarrhoea in adults.3\n\n"
            "1. Smith J, Doe A. Gut flora and examplamide. J Ex Med. 2001;1:1-9.\n"
            "2. Lee K. Examplamide in the gut. J Ex Med. 2003;3:5-9. PMID: 16996037\n"
            "3. Roe P, et al. Examplamide for diarrhoea: a randomised trial. Gut Ex. 2005;4:2-8. PMID: 16362768\n")
    got = links(doc_of(text))
    assert {m for _, m in got["Examplamide is thought to restore gut bacteria"]} == {"numbered-list"}
    assert ("16362768", "numbered-list") in got["Examplamide reduced the duration of diarrhoea in adults"]
    assert not any(t.startswith("This is widely") for t in got)


def test_lettered_markers_glued_to_the_full_stop_name_lettered_entries() -> None:
    text = ("Examplamide reduced bloating in adults with constipation.(a) The same trial found that "
            "examplamide raised antioxidant enzymes.(a,b) Examplamide also lowered cortisol in children.(c)\n\n"
            "References\n"
            "(a) Smith J, Doe A, et al. Examplamide for constipation: a randomised trial. J Ex Med. 2001;1:101.\n"
            "(b) Lee K, Moe R. Examplamide and antioxidant enzymes. Ex Biol. 2003;3:55.\n"
            "(c) Roe P, Poe S, et al. Examplamide in first graders. Ex Paed. 2005;4:210.\n")
    doc = doc_of(text)
    got = links(doc)
    assert set(got) == {"Examplamide reduced bloating in adults with constipation",
                        "The same trial found that examplamide raised antioxidant enzymes",
                        "Examplamide also lowered cortisol in children"}
    assert len(got["The same trial found that examplamide raised antioxidant enzymes"]) == 2
    assert all(m == "numbered-list" for pairs in got.values() for _, m in pairs)


def test_parenthesised_numbers_name_entries_only_on_a_page_with_a_numbered_list() -> None:
    cited = ("Examplamide deficiency is linked to low birth weight (1). Examplamide at 30 mg a day raised "
             "the risk of diabetes (2, 3).\n\nEndnotes\n"
             "(1) Smith J, Doe A, et al. Examplamide deficiency in pregnancy. J Ex Med. 2001;1:101.\n"
             "2. Lee K, Moe R. Examplamide and diabetes. Ex Biol. 2003;3:55.\n"
             "3. Roe P, Poe S, et al. Examplamide dose and diabetes. Ex Endo. 2005;4:210.\n")
    got = links(doc_of(cited))
    assert len(got["Examplamide deficiency is linked to low birth weight"]) == 1
    assert len(got["Examplamide at 30 mg a day raised the risk of diabetes"]) == 2
    steps = ("How to take examplamide: (1) take 30 mg with food. (2) Examplamide reduced fatigue in adults "
             "when taken daily (3).\n")
    doc = doc_of(steps)
    assert not any(m == "numbered-list" for pairs in links(doc).values() for _, m in pairs)
    assert not any(m.in_reference_list for m in doc.mentions)
    # Lettered markers do not name a numbered list's entries, nor numbered ones a lettered list's.
    assert [k.numbers for k in find_markers("raised it (a, c). Lowered it (2).", 0, False, "letters")] == [(1, 3)]
    assert [k.numbers for k in find_markers("raised it (a, c). Lowered it (2).", 0, False, "numbers")] == [(2,)]
    assert find_markers("raised it (a, c). Lowered it (2).", 0, False) == []


def test_source_label_bracket_after_the_full_stop_cites_the_sentence_before() -> None:
    text = ("Q: Does examplamide help?\n"
            "A: Yes. Examplamide improved insulin sensitivity in adults. (Ex Med J, 2021, PMID 16996037) "
            "A randomized trial found that examplamide reduced acne. (J Ex Derm, 2020, PMID 16362768)\n\n"
            "Examplamide lowered blood pressure in older adults (Annals of Ex Medicine, 2019, PMID 12345678).\n")
    doc = doc_of(text)
    got = links(doc)
    assert got["Examplamide improved insulin sensitivity in adults."] == {("16996037", "inline")}
    assert got["A randomized trial found that examplamide reduced acne."] == {("16362768", "inline")}
    assert got["Examplamide lowered blood pressure in older adults"] == {("12345678", "inline")}
    assert not any("(" in c.text for c in doc.claims)
    # A bracket with words of a sentence in it is prose, not a source label: it stays in the claim.
    prose = "Examplamide reduced fatigue. (It was also well tolerated, PMID 16996037) Examplamide is cheap.\n"
    assert any("(It was also well tolerated" in c.text for c in doc_of(prose).claims)


def test_markers_parse_ranges_and_superscripts() -> None:
    assert parse_numbers("1, 3-5") == (1, 3, 4, 5)
    assert parse_numbers("¹²") == (12,)
    assert parse_numbers("1-400") == ()  # not a footnote range
    text = "CoQ10. Type 2, and a claim.[4] Also¹."
    assert [k.numbers for k in find_markers(text, 0, glued_ok=False)] == [(4,), (1,)]


def test_author_year_cards_cover_their_findings() -> None:
    text = ("Examplamide research\n\n"
            "Effects of Examplamide on Lean Mass in Older Adults: A Randomized Trial\n"
            "Smith J, Doe A, Roe P, et al. (2008) • Journal of Example Medicine\n"
            "Randomized, double-blind, placebo-controlled trial in 65 older adults.\n"
            "Key Findings\n"
            "- Lean mass increased 1.1 kg with examplamide vs placebo\n"
            "- No significant change in fat mass\n"
            "Examplamide for Hip Fracture Recovery: A Phase IIb Study\n"
            "Lee K, Moe R, Poe S, et al. (2011) • Archives of Example Geriatrics\n"
            "Phase 2b trial of examplamide 25 mg daily in 123 elderly patients.\n"
            "- Heart failure rate: 6.5% examplamide vs 1.7% placebo\n")
    doc = doc_of(text)
    got = links(doc)
    first = {v for v, _ in got["Randomized, double-blind, placebo-controlled trial in 65 older adults."]}
    second = {v for v, _ in got["Phase 2b trial of examplamide 25 mg daily in 123 elderly patients."]}
    assert first != second and len(first) == len(second) == 1
    assert {v for v, _ in got["No significant change in fat mass"]} == first
    assert {v for v, _ in got["Heart failure rate: 6.5% examplamide vs 1.7% placebo"]} == second
    assert all(m == "block" for pairs in got.values() for _, m in pairs)


def test_page_about_one_paper_links_its_report_not_outside_facts() -> None:
    text = ("SOURCE: https://example.org/research/pubmed/16996037\n"
            "Examplamide Speeds Recovery From Colds\n"
            "The analysis of three randomised trials found that 70% of patients recovered by day five.\n"
            "The effect on recovery was not modified by age or sex, researchers said.\n"
            "Such doses are higher than the recommended daily intake for adults.\n"
            "In certain other controlled studies, examplamide was given for months with few adverse effects.\n"
            "None of the three trials observed serious adverse effects.\n")
    source = Source("page.txt", content_hash(text), text, "text/plain", "utf-8",
                    url="https://example.org/research/pubmed/16996037", body_start=text.index("\n") + 1)
    paper = page_paper(source)
    assert paper is not None and (paper.kind, paper.value, paper.origin) == ("pmid", "16996037", "page-url")
    doc = pipeline.extract_document(source)
    got = links(doc)
    linked = {t for t, pairs in got.items() if ("16996037", "single-study") in pairs}
    assert "The effect on recovery was not modified by age or sex, researchers said." in linked
    assert "Examplamide Speeds Recovery From Colds" in linked  # the page's title restates the study
    assert not any(t.startswith(("Such doses", "In certain other")) for t in got)
    assert all(c.char_start >= source.body_start for c in doc.claims)  # the header is no claim


def test_several_sources_leave_unmarked_sentences_uncited() -> None:
    text = ("Examplamide improves memory in adults (PMID: 16996037). "
            "Examplamide also lowers blood pressure in adults.\n\n"
            "Examplamide reduces anxiety in adults (PMID: 16362768).\n")
    got = links(doc_of(text))
    assert not any(t.startswith("Examplamide also lowers") for t in got)


def test_anaphora_refers_to_the_study_just_cited() -> None:
    text = ("Examplamide has a long history of use.\n"
            "The first study, a 12-week clinical trial, reported improvements in fatigue [1]. "
            "There were marked improvements in most of the study participants within one week.\n"
            "The second study assessed examplamide over 8 weeks in adults with burnout [2].\n"
            "In both studies examplamide was well tolerated.\n"
            "Examplamide has been used for centuries in folk medicine.\n\n"
            "1. Smith J, Doe A. Examplamide for fatigue. J Ex Med. 2017;1:1-9.\n"
            "2. Lee K, Moe R. Examplamide for burnout. J Ex Med. 2017;2:1-9.\n")
    doc = doc_of(text)
    got = links(doc)
    values = {m.footnote: m.value for m in doc.mentions if m.footnote}
    participants = "There were marked improvements in most of the study participants within one week."
    assert got[participants] in ({(values[1], "anaphora")}, {(values[1], "paragraph")})
    assert {v for v, m in got["In both studies examplamide was well tolerated."]} == {values[1], values[2]}
    assert not any(t.startswith(("Examplamide has a long", "Examplamide has been used")) for t in got)


def test_an_arm_of_the_study_just_cited_refers_to_that_study() -> None:
    text = ("Examplamide reduced joint pain in a trial of 62 adults (PMID: 16996037).\n\n"
            "Patients in the combined group took 3 g of examplamide every day.\n\n"
            "In that group, C-reactive protein fell by 40 percent.\n\n"
            "Examplamide improves sleep in people in the older age group.\n\n"
            "A group of examplamide users reported better sleep.\n\n"
            "Zorvatide lowered blood pressure in adults (PMID: 16362768).\n")
    got = links(doc_of(text))
    assert got["Examplamide reduced joint pain in a trial of 62 adults"] == {("16996037", "inline")}
    assert got["Patients in the combined group took 3 g of examplamide every day."] == {("16996037", "anaphora")}
    assert got["In that group, C-reactive protein fell by 40 percent."] == {("16996037", "anaphora")}
    assert not any(t.startswith(("Examplamide improves sleep", "A group of")) for t in got)


def test_closing_citation_covers_its_paragraph() -> None:
    text = ("Examplamide lowered blood pressure in adults. The effect lasted twelve weeks. "
            "Examplamide was well tolerated (PMID: 16996037).\n\n"
            "Examplamide reduces anxiety in adults (PMID: 16362768).\n")
    got = links(doc_of(text))
    assert got["Examplamide lowered blood pressure in adults."] == {("16996037", "paragraph")}


def test_html_and_text_end_in_the_same_model() -> None:
    html = ("<html><body><h2>Key Findings</h2><ol><li>Examplamide reduced pain by 40%<sup><a href='#r1'>1</a></sup>"
            "</li></ol><h2>References</h2><ol><li id='r1'>Smith J. A trial. J Ex. 2001;1:1-2.</li></ol></body></html>")
    text = html_to_text("page.html", html)
    assert "1. Examplamide reduced pain by 40%[1]" in text and "1. Smith J. A trial." in text
    page = page_structure(text)
    kinds = [(b.kind, text[b.start:b.end][:12]) for b in page.blocks]
    assert kinds[0] == ("label", "Key Findings") and ("label", "References") in kinds


def test_ten_thousand_links_and_anchors_to_nowhere_stay_linear() -> None:
    parts = [f"<p>Examplamide improves focus in adults number {i}<sup><a href='#nowhere{i}'>{i % 90 + 1}</a></sup>. "
             f"<a href='https://example.org/{i}'>more</a> <a href='#fn{i}'>↩</a></p>" for i in range(10_000)]
    html = "<html><body>" + "".join(parts) + "<ol><li id='fn1'><a href='#fn1'>circular</a></li></ol></body></html>"
    started = time.perf_counter()
    text = html_to_text("big.html", html)
    doc = doc_of(text, media="text/html")
    links(doc)
    assert time.perf_counter() - started < 60
    assert len(doc.claims) >= 9_000


def test_malformed_and_circular_html_renders() -> None:
    html = ("<html><body><p>Examplamide heals tendons twice as fast<sup><a href='#a'>1</a></sup>"
            "<div><ol><li id='a'><a href='#b'>see 2</a></li><li id='b'><a href='#a'>see 1</a></li></ol></p></b>")
    text = html_to_text("bad.html", html)
    assert "Examplamide heals tendons twice as fast[1]" in text
    doc = doc_of(text, media="text/html")
    assert [c.text for c in doc.claims] == ["Examplamide heals tendons twice as fast"]


def test_anchor_into_an_unnumbered_list_names_the_entry_by_position() -> None:
    html = ("<html><body><p>Examplamide lowers cholesterol in adults<sup><a href='#n2'>b</a></sup>.</p>"
            "<h2>Sources</h2><ul><li id='n1'>Smith J, Doe A. A trial of examplamide. J Ex Med. 2001;1:1-2.</li>"
            "<li id='n2'>Roe P, Lee K. Examplamide and cholesterol. J Ex Med. 2002;2:1-2.</li></ul></body></html>")
    text = html_to_text("page.html", html)
    assert "Examplamide lowers cholesterol in adults[2]." in text
    doc = doc_of(text, media="text/html")
    got = links(doc)
    (value, method), = got["Examplamide lowers cholesterol in adults"]
    assert method == "numbered-list" and value.startswith("Roe P")


def test_card_title_and_authors_on_two_lines_are_one_citation() -> None:
    from grading.documents.links import attach_inline
    from grading.models import CitationMention

    text = ("Research Studies\n"
            "Examplamide Improves Lean Mass in Older Adults: A Randomized Trial\n"
            "Smith J, Doe A, et al. (2008) • Journal of Example Medicine\n"
            "Randomized, double-blind, placebo-controlled trial in 65 older adults.\n"
            "- Lean mass increased 1.1 kg with examplamide vs placebo\n")
    doc = doc_of(text)
    title_at = text.index("Examplamide Improves")
    title = CitationMention(title_at, text.index("\n", title_at), text[title_at:text.index("\n", title_at)],
                            "journal_ref", "title")
    authors = next(m for m in doc.mentions if m.raw.startswith("Smith J"))
    mentions = sorted([title, authors], key=lambda m: m.char_start)
    got = scope_links(doc.page, doc.claims, mentions, attach_inline(text, doc.claims, mentions),
                      lambda i: "pmid:1", None)
    texts = {c.claim_id: c.text for c in doc.claims}
    linked = {texts[lk.claim_id] for lk in got if lk.method == "block"}
    assert "Lean mass increased 1.1 kg with examplamide vs placebo" in linked
    assert "Randomized, double-blind, placebo-controlled trial in 65 older adults." in linked


def test_summary_page_opening_with_the_paper_reports_it_from_the_top() -> None:
    from grading.documents.links import attach_inline
    from grading.models import CitationMention

    text = ("Examplamide for postoperative recovery: a phase 2 study\n"
            "- Examplamide accelerated recovery after abdominal surgery\n"
            "Summary\n"
            "The study found faster recovery of bowel function with examplamide than with placebo.\n")
    doc = doc_of(text)
    end = text.index("\n")
    title = CitationMention(0, end, text[:end], "journal_ref", "title")
    got = scope_links(doc.page, doc.claims, [title], attach_inline(text, doc.claims, [title]), lambda i: "pmid:1")
    texts = {c.claim_id: c.text for c in doc.claims}
    assert "Examplamide accelerated recovery after abdominal surgery" in {texts[lk.claim_id] for lk in got}


def test_a_count_announces_the_studies_cited_next_only_when_it_matches() -> None:
    body = ("Two new clinical studies show that examplamide eases fatigue.\n"
            "The first study, a 12-week clinical trial, reported improvements in fatigue [1].\n"
            "The second study, an 8-week trial, reported improvements in burnout [2].\n")
    refs = ("\n1. Smith J, Doe A. Examplamide for fatigue. J Ex Med. 2017;1:1-9.\n"
            "2. Lee K, Moe R. Examplamide for burnout. J Ex Med. 2017;2:1-9.\n")
    doc = doc_of(body + refs)
    got = links(doc)
    announced = got["Two new clinical studies show that examplamide eases fatigue."]
    assert {m for _, m in announced} == {"anaphora"} and len(announced) == 2
    three = body + "A third study, in rats, reported less fatigue [3].\n" + refs + \
        "3. Roe P. Examplamide in rats. J Ex Med. 2016;3:1-9.\n"
    assert "Two new clinical studies show that examplamide eases fatigue." not in links(doc_of(three))


def test_a_section_headed_as_one_studys_report_links_its_claims() -> None:
    """Under "Examplamide trial results", citing one work: the section's other claims retell it
    (even a last line cut short, which is prose, not a heading); another section's claims stay
    uncited, and a section citing two works links nothing by section."""
    text = ("Examplamide reduced anxiety in earlier mouse work.\n\n"
            "Examplamide trial results\n\n"
            "Researchers published a randomized trial of examplamide in 120 adults (PMID: 16996037).\n\n"
            "Examplamide improved sleep quality in the participants compared with placebo.\n\n"
            "Other studies have found examplamide lowers blood pressure.\n\n"
            "Examplamide reduced fatigue scores in the adults who took it for twelve we")
    got = links(doc_of(text))
    assert got["Examplamide improved sleep quality in the participants compared with placebo."] == {
        ("16996037", "section")}
    assert got["Examplamide reduced fatigue scores in the adults who took it for twelve we"] == {("16996037", "section")}
    assert "Other studies have found examplamide lowers blood pressure." not in got  # an outside fact
    assert "Examplamide reduced anxiety in earlier mouse work." not in got
    two = text.replace("improved sleep quality in the participants compared with placebo.",
                       "improved sleep quality in the participants compared with placebo (PMID: 16362768).")
    got = links(doc_of(two))
    assert "Examplamide reduced fatigue scores in the adults who took it for twelve we" not in got


def test_markers_name_entries_of_a_titles_only_list_and_the_titles_are_no_claims() -> None:
    text = ("Examplamide lowered fasting glucose in adults.[1] Examplamide causes brain atrophy in older adults.[2]\n\n"
            "Sources\n"
            "1. Effect of examplamide on insulin homeostasis in overweight adults: a randomized trial.\n"
            "2. Association of examplamide metabolites with cognitive function and brain atrophy in elderly adults.\n")
    doc = doc_of(text)
    assert [c.text for c in doc.claims] == ["Examplamide lowered fasting glucose in adults",
                                            "Examplamide causes brain atrophy in older adults"]
    got = links(doc)
    titles = {m.footnote: m.value for m in doc.mentions if m.kind == "title"}
    assert got["Examplamide lowered fasting glucose in adults"] == {(titles[1], "numbered-list")}
    assert got["Examplamide causes brain atrophy in older adults"] == {(titles[2], "numbered-list")}


def test_a_demonstrative_with_modifiers_refers_back_to_the_study_just_cited() -> None:
    text = ("A 2021 randomized trial from Borduria (Velde et al.) found that zorvatide shortened fevers.\n"
            "In fact, the Borduran study proved that zorvatide cuts deaths.\n"
            "A 2020 scoping review (Roe et al.) included 12 studies and concluded the evidence is weak.\n"
            "The same review found no new safety signals of zorvatide.\n"
            "In the same large placebo-controlled review, zorvatide also cut relapses by 40%.\n")
    doc = doc_of(text)
    got = links(doc)
    velde, roe = (next(m.value for m in doc.mentions if a in m.raw) for a in ("Velde", "Roe"))
    assert got["In fact, the Borduran study proved that zorvatide cuts deaths."] == {(velde, "anaphora")}
    assert got["The same review found no new safety signals of zorvatide."] == {(roe, "anaphora")}
    assert got["In the same large placebo-controlled review, zorvatide also cut relapses by 40%."] == {(roe, "anaphora")}


def test_single_study_page_links_what_retells_the_study_not_prevalence_or_background() -> None:
    text = ("Zorvatide eases chemotherapy fatigue, Borduran study finds\n\n"
            "A daily dose of zorvatide reduced fatigue in women receiving chemotherapy, according to a study "
            "published in the Journal of Example Oncology.\n"
            "Patients took one zorvatide capsule three times a day for 15 days.\n"
            "Fatigue affects up to 90 percent of patients undergoing chemotherapy, and few treatments help.\n"
            "Exhaustion lowers quality of life in many cancer survivors.\n"
            "Zorvatide also lowered levels of an inflammatory protein in the women who took it.\n"
            "Zorvatide has been used as a remedy for centuries, and it is rich in antioxidants.\n"
            "The researchers said zorvatide was well tolerated.\n")
    doc = doc_of(text)
    assert doc.subjects == frozenset({"zorvatide"})
    by_id = {c.claim_id: c.text for c in doc.claims}
    linked = {by_id[lk.claim_id]: lk.method for lk in scope_links(
        doc.page, doc.claims, doc.mentions, doc.attached, lambda i: "pmid:1", doc.page_paper, doc.subjects)}
    page_level = {"single-study", "section"}  # the headline names the study: its section is the report
    assert linked["Patients took one zorvatide capsule three times a day for 15 days."] in page_level
    assert linked["Zorvatide also lowered levels of an inflammatory protein in the women who took it."] in page_level
    for outside in ("Fatigue affects up to 90 percent", "Exhaustion lowers quality of life", "Zorvatide has been used"):
        assert not any(t.startswith(outside) for t in linked), outside
