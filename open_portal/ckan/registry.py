"""Action name -> typed service call. Actions register themselves with ``@action``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from datasets.policy import Principal
from datasets.storage import Upload
from datasets.unit import CatalogUnit

if TYPE_CHECKING:
    from open_portal.accounts.models import User
    from open_portal.runtime import Portal


@dataclass
class ActionContext:
    unit: CatalogUnit
    actor: Principal
    user: User | None
    portal: Portal
    uploads: dict[str, Upload] = field(default_factory=dict)

    @property
    def session(self) -> Any:
        return self.unit.session

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A read served from the portal's revision-checked cache when possible."""
        if self.unit.reads is None:
            return compute()
        return self.unit.reads.get_or_compute(key, compute)


def visibility_key(ctx: ActionContext) -> Hashable:
    """Everything that decides what a caller may see, as a cache key."""
    actor = ctx.actor
    if actor.sysadmin:
        return ("sysadmin",)
    return (
        actor.user_id,
        tuple(sorted(actor.capacities.items())),
        tuple(sorted(actor.collaborations.items())),
    )


T = TypeVar("T")
ActionFn = Callable[[ActionContext, dict[str, Any]], Any]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    fn: ActionFn
    side_effect_free: bool

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.fn.__doc__ or "")


REGISTRY: dict[str, ActionSpec] = {}


def action(
    *, side_effect_free: bool = False, name: str | None = None
) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        action_name = name or fn.__name__
        REGISTRY[action_name] = ActionSpec(action_name, fn, side_effect_free)
        return fn

    return register


def get(name: str) -> ActionSpec | None:
    return all_actions().get(name)


def all_actions() -> dict[str, ActionSpec]:
    # Importing the action modules fills the registry exactly once.
    from open_portal.ckan import actions  # noqa: F401

    return REGISTRY


def is_read_action(name: str) -> bool:
    """True unless ``name`` is an action that changes something (unknown names change nothing)."""
    spec = get(name)
    return spec is None or spec.side_effect_free
