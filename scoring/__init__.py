"""Scoring calls against the operator script: checklist verdicts with evidence, conversation metrics, scorecards.

Nothing here reads audio or imports Prefect: every function takes transcripts and returns typed records.
"""
