"""Reporting routes: the Mission's indicators and InterMire's sector indicators (pseudonyms and counts only)."""

from gateway.route import Route

ROUTES = [
    Route(
        "GET", "/missions/<code>/indicators", "reporting.read", "reporting", "indicators", "The Mission's indicators"
    ),
    Route(
        "GET",
        "/intermire/indicators",
        "reporting.sector",
        "reporting",
        "sector_indicators",
        "Sector-wide indicators (pseudonyms and counts only)",
    ),
]
