"""Transfers of a file to another Mission: the request on a person's file (« Transférer vers une autre
Mission ») and the list of transfers received (« Transferts reçus ») with their answer. Every read and write
is a gateway call with the user's token (``beneficiary.transfers`` holds the rules)."""

from __future__ import annotations

from web.app import view
from web.views.people import load_person


def other_missions(page) -> list[tuple[str, str]]:
    """(code, name) of the Missions a file may go to: every one but the user's own."""
    own = page.user["mission"]
    return [(code, name) for code, name in page.app.missions if code != own and code != "intermire"]


@view("/beneficiaires/<id>/transfert", "transfer", methods=("GET", "POST"))
def transfer(page, id):
    someone = load_person(page, id)
    context = dict(person=someone, missions=other_missions(page))
    if page.request.method == "GET":
        return page.render("people/transfer.html", **context)
    form = page.request.form
    body = {
        "to_mission": form.get("to_mission", ""),
        "consent": form.get("consent") == "yes",
        "notes_consent": form.get("notes_consent") == "yes",
        "reason": form.get("reason", "").strip(),
    }

    def done(_):
        page.flash(page.gettext("Transfert demandé : la Mission choisie doit maintenant l'accepter."))
        return page.url("person", id=id)

    return page.submit(
        lambda: page.gateway.post(f"/beneficiaries/{id}/transfer", body), done, "people/transfer.html", **context
    )


def _lists(page) -> dict:
    got = page.gather(
        {
            "pending": lambda: page.gateway.get("/transfers", status="requested", purpose="transfer"),
            "answered": lambda: page.gateway.get("/transfers", purpose="transfer", page_size=50),
            "sent": lambda: page.gateway.get("/transfers", direction="sent", purpose="transfer", page_size=50),
        }
    )
    return dict(
        pending=got["pending"]["items"],
        answered=[t for t in got["answered"]["items"] if t["status"] != "requested"],
        sent=got["sent"]["items"],
        names=dict(page.app.missions),
    )


@view("/transferts", "transfers")
def transfers(page):
    return page.render("transfers/list.html", **_lists(page))


@view("/transferts/<tid>/accepter", "accept_transfer", methods=("POST",))
def accept(page, tid):
    def done(answer):
        page.flash(page.gettext("Transfert accepté : le dossier est ouvert dans votre Mission."))
        return page.url("person", id=answer["beneficiary_id"])

    return page.submit(
        lambda: page.gateway.post(f"/transfers/{tid}/accept"), done, "transfers/list.html", **_lists(page)
    )


@view("/transferts/<tid>/refuser", "decline_transfer", methods=("POST",))
def decline(page, tid):
    body = {"reason": page.request.form.get("reason", "").strip()}

    def done(_):
        page.flash(page.gettext("Transfert refusé : la Mission qui le demandait en est informée."))
        return page.url("transfers")

    return page.submit(
        lambda: page.gateway.post(f"/transfers/{tid}/decline", body),
        done,
        "transfers/list.html",
        declining=tid,
        **_lists(page),
    )
