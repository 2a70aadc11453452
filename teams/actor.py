"""Who is making a change, so every write records its author and door (attribution)."""

from dataclasses import dataclass

from teams.models import Door


@dataclass(frozen=True)
class Actor:
    via: str = Door.SYSTEM
    user: object | None = None  # a login
    token: object | None = None  # an ApiToken

    def stamp(self, instance) -> None:
        instance.updated_by = self.user
        instance.updated_by_token = self.token
        instance.updated_via = self.via

    def fields(self) -> dict:
        """The attribution as keyword arguments, for update_or_create and bulk writes."""
        return {"updated_by": self.user, "updated_by_token": self.token,
                "updated_via": self.via}


SYSTEM = Actor()


def browser_actor(request) -> Actor:
    return Actor(via=Door.BROWSER, user=request.user)


def admin_actor(request) -> Actor:
    return Actor(via=Door.ADMIN, user=request.user)
