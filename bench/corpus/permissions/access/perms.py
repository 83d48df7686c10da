ROLE_PERMISSIONS = {
    "viewer": {"read"},
    "editor": {"read", "write"},
    "admin": {"read", "write", "delete", "invite"},
}


def permissions_for(roles):
    perms = set()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, set())
    return perms


def can(roles, *needed):
    """True when the roles together grant every needed permission."""
    granted = permissions_for(roles)
    return any(p in granted for p in needed)
