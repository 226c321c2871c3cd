"""employers pages."""

from web.app import view


@view("/entreprises", "employers")
def employers(page):
    return page.render("employers/list.html", employers=[])
