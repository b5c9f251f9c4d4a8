"""Flow graph rules: flows, their nodes, node actions and node transitions."""

from __future__ import annotations

from .._writes import Behaviour, WriteContext


class Flows(Behaviour):
    def defaults(self, ctx: WriteContext) -> None:
        ctx.values["unpublishedChanges"] = False

    def derive(self, ctx: WriteContext) -> None:
        if ctx.rec is not None:
            ctx.values["unpublishedChanges"] = True


class _Ordered(Behaviour):
    """Children of a parent record whose ``index`` defaults to the next place under it."""

    def __init__(self, parent: str) -> None:
        self._parent = parent

    def defaults(self, ctx: WriteContext) -> None:
        siblings = ctx.count(ctx.spec.type, self._parent, ctx.values.get(self._parent))
        ctx.values.setdefault("index", siblings)


class Nodes(_Ordered):
    def __init__(self) -> None:
        super().__init__("flowId")

    def check(self, ctx: WriteContext) -> None:
        if ctx.get("isEndFlow") is True and ctx.get("endFlowType") is None:
            ctx.err(
                "endFlowType can't be blank when isEndFlow is true", "/data/attributes/endFlowType"
            )
        if ctx.values.get("isStartFlow") is True:
            flow_id = ctx.get("flowId")
            others = (
                [
                    n
                    for n in ctx.data.where("nodes", "flowId", flow_id)
                    if n is not ctx.rec and n.data.get("isStartFlow")
                ]
                if flow_id is not None
                else []
            )
            if others:
                ctx.err("the flow already has a start node", "/data/attributes/isStartFlow")

    def defaults(self, ctx: WriteContext) -> None:
        super().defaults(ctx)
        ctx.values.setdefault("isStartFlow", False)
        ctx.values.setdefault("isEndFlow", False)


class NodeActions(_Ordered):
    def __init__(self) -> None:
        super().__init__("nodeId")

    def check(self, ctx: WriteContext) -> None:
        if ctx.get("actionType") == "ask" and not ctx.get("variableName"):
            ctx.err(
                "variableName can't be blank when actionType is ask",
                "/data/attributes/variableName",
            )


class NodeTransitions(_Ordered):
    def __init__(self) -> None:
        super().__init__("nodeId")

    def check(self, ctx: WriteContext) -> None:
        node = ctx.data.get("nodes", str(ctx.get("nodeId")))
        exit_node = ctx.data.get("nodes", str(ctx.get("exitNodeId")))
        if (
            node is not None
            and exit_node is not None
            and node.data["flowId"] != exit_node.data["flowId"]
        ):
            ctx.err("exitNode must belong to the same flow as node", "/data/relationships/exitNode")
