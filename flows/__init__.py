"""Prefect flows: thin orchestration over the stages in grading.pipeline."""
