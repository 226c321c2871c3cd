"""What a signed-in user's roles allow, read from the gateway's own policy table (``kit.permissions``).

Only used to hide what a role may not do: the gateway (and the services
behind it) decide. There is no second table here.
"""

from kit.permissions import allowed_roles


def may(roles, action: str) -> bool:
    return bool(set(roles) & allowed_roles(action))
