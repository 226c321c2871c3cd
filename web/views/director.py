"""director pages."""

from web.app import view


@view("/tableau-de-bord", "dashboard")
def dashboard(page):
    return page.render("director/dashboard.html")
