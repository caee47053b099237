"""The grading engine: reading claims and records, the rubric and its rules by GRADE domain, and the verdict on each claim. Pure: values in, values out."""
