"""Employer service: employers, prospection and vacancies."""
