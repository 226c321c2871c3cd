"""The pages, one module per area; importing this package registers them (``web.app.view``)."""

from web.views import (  # noqa: F401
    access,
    audit,
    auth,
    conventions,
    director,
    due,
    employers,
    figures,
    gaps,
    meetings,
    orientations,
    partners,
    people,
    referrals,
    search,
    transfers,
)
