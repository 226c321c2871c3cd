"""Gaps into the plan: the missing competences of a ranked vacancy, a proposal or a target occupation, ticked and
given an action each (remise à niveau, formation, stage), become the person's next plan version.

The page lists what matching says is missing (``GET …/matching/beneficiaries/<id>/gaps``), each gap's action
preselected by the beneficiary service's own rule (``beneficiary.domain.default_gap_action``), and posts the
choice with the plan version it showed (``POST …/beneficiaries/<id>/plan/gaps``): a plan changed meanwhile is
refused (409) and shown again with the message beside the version.
"""

from __future__ import annotations

from beneficiary.domain import GAP_ACTIONS, default_gap_action
from werkzeug.exceptions import NotFound

from web import labels
from web.app import Form, view
from web.gateway import GatewayError
from web.views.people import load_person

# The three kinds a gap becomes, as the form offers them.
KINDS = {kind: labels.PLAN_ACTIONS[kind] for kind in GAP_ACTIONS}


def _source(values) -> dict[str, str]:
    """The one source the page is about: ``offre`` (a vacancy), ``proposition`` or ``metier`` (an occupation)."""
    for param, name in (("offre", "vacancy_id"), ("proposition", "proposal_id"), ("metier", "occupation")):
        given = values.get(param, "").strip()
        if given:
            return {name: given, "param": param, "value": given}
    raise NotFound()


@view("/beneficiaires/<id>/plan/manques", "plan_gaps", methods=("GET", "POST"))
def plan_gaps(page, id):
    someone = load_person(page, id)
    source = _source(page.request.values)
    asked = {k: v for k, v in source.items() if k not in ("param", "value")}
    got = page.gather(
        {
            "explained": lambda: page.gateway.get(f"/matching/beneficiaries/{id}/gaps", **asked),
            "plans": lambda: page.gateway.get(f"/beneficiaries/{id}/plan"),
        }
    )
    explained, plans = got["explained"], got["plans"]
    current = plans[-1] if plans else None
    missing = explained["missing"]
    context = dict(person=someone, source=source, about=explained["source"], missing=missing, plan=current, kinds=KINDS)
    if page.request.method == "GET":
        values = {"gap": [], "plan_version": str(current["version"]) if current else ""}
        values |= {f"kind-{gap['code']}": default_gap_action(gap) for gap in missing}
        return page.render("people/plan_gaps.html", form=Form(_Values(values)), **context)
    form = page.request.form
    chosen = [code for code in form.getlist("gap") if code in {gap["code"] for gap in missing}]
    body = {
        **asked,
        "plan_version": int(form["plan_version"]) if form.get("plan_version", "").isdigit() else 0,
        "gaps": [{"code": code, "kind": form.get(f"kind-{code}") or None} for code in chosen],
        "agreed_with_person": form.get("agreed_with_person") == "yes",
    }

    def send():
        try:
            return page.gateway.post(f"/beneficiaries/{id}/plan/gaps", body)
        except GatewayError as exc:

            def field_of(key):  # gaps.<i>.code → the i-th gap ticked; gaps.<i>.kind → its action
                parts = key.split(".")
                if parts[0] == "gaps" and len(parts) > 2 and parts[1].isdigit():
                    code = chosen[int(parts[1])]
                    return f"kind-{code}" if parts[2] == "kind" else "gap"
                return "gap" if key in ("gaps", "source") else key

            exc.rename_fields(field_of)
            raise

    def done(answer):
        page.flash(
            page.gettext("Manques ajoutés au plan : version %(n)s, %(k)s action(s) nouvelle(s).")
            % {"n": answer["version"], "k": len(chosen)}
        )
        return page.url("person", id=id) + "#plan"

    return page.submit(send, done, "people/plan_gaps.html", **context)


class _Values(dict):
    def getlist(self, name):
        value = self.get(name) or []
        return value if isinstance(value, list) else [value]
