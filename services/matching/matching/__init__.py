"""Matching service: ranking people and vacancies on competences."""
