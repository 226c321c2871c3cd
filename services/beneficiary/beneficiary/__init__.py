"""Beneficiary service: intake, assessment, plan, pathway, notes, outcomes, erasure."""
