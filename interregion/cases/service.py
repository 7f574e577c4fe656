"""Everything the case routes of one node share: material store, matter lists, delivery worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from interregion.cases.delivery import DeliveryWorker
from interregion.cases.matters import MatterLists
from interregion.cases.notify import load_notifier
from interregion.cases.store import MaterialStore

if TYPE_CHECKING:
    from interregion.node import Node


@dataclass
class CaseDesk:
    node: Node
    store: MaterialStore
    matters: MatterLists
    worker: DeliveryWorker

    @classmethod
    def for_node(cls, node: Node) -> CaseDesk:
        settings = node.settings
        store = MaterialStore(node.folder / "materials")
        return cls(
            node=node,
            store=store,
            matters=MatterLists(node, ttl=timedelta(seconds=settings.case_matter_list_ttl_seconds)),
            worker=DeliveryWorker(node, store=store, notifier=load_notifier(settings)),
        )

    @property
    def stuck_after(self) -> timedelta:
        return timedelta(seconds=self.node.settings.case_stuck_after_seconds)


def get_desk(request: Request) -> CaseDesk:
    desk: CaseDesk = request.app.state.case_desk
    return desk


DeskDep = Annotated[CaseDesk, Depends(get_desk)]
