"""The Mission's front office: the web application where counsellors, employer-relations agents, project
leads and directors work.

Server-rendered HTML (Jinja2) with htmx for partial updates, French first
(gettext catalogues, Belgian formats). It holds no data and no permission
system: every read and write is an HTTP call to the gateway with the user's
bearer token, and what a role may not do is hidden by reading the gateway's
own policy table (``kit.permissions``). ``web/README.md`` says how it is built,
run and tested.
"""
