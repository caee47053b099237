"""grading: grade the evidence behind health claims in documents.

Stages (each a plain library module, testable without Prefect):
sources -> claims -> citations -> resolve -> fetch (Entrez or snapshot) -> pubmed_xml
-> evidence (reading records) -> grade (rubric) -> warehouse -> report.
"""

__version__ = "0.1.0"
