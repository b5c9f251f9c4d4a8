"""One module per API resource; each declares its path, model and documented verbs.

``RESOURCES`` lists them once: ``Client`` has one typed property per entry (type checkers
need them written out; a test holds the two together) and the command line's ``get`` and
``list`` reach the entries marked ``cli``.
"""

from __future__ import annotations

from typing import Any

import attrs

from ..models._base import Resource
from .candidates import Candidates
from .conversations import Conversations
from .embed import Embed
from .flow_generations import FlowGenerations
from .flow_runs import FlowRuns
from .flows import Flows
from .management import Management
from .message_templates import MessageTemplates
from .message_threads import MessageThreads
from .messages import Messages
from .node_actions import NodeActions
from .node_transitions import NodeTransitions
from .nodes import Nodes
from .organizations import Organizations
from .users import Users
from .vacancies import Vacancies
from .vacancy_analyses import VacancyAnalyses
from .webhooks import Webhooks

#: The verbs a resource class may offer, in the order they are listed.
VERBS = ("list", "retrieve", "create", "update", "delete")


@attrs.frozen
class ResourceEntry:
    """One ``client.<attribute>``: its class, and whether the command line reaches it.

    Args:
        attribute: the ``Client`` property (snake_case).
        cls: the resource class the property returns.
        cli: reachable by ``recrubo get`` and ``recrubo list`` (a resource with a model,
            ``list`` and ``retrieve``).
    """

    attribute: str
    cls: type[Any]
    cli: bool = True

    @property
    def kebab(self) -> str:
        """The command-line spelling: ``flow-runs``."""
        return self.attribute.replace("_", "-")

    @property
    def model(self) -> type[Resource]:
        """The model class (only for a resource with one: ``cli`` entries have)."""
        model: type[Resource] = self.cls._model
        return model

    @property
    def json_type(self) -> str:
        """The JSON:API type: ``flowRuns``."""
        return self.model.TYPE

    @property
    def verbs(self) -> tuple[str, ...]:
        """Which of ``list``, ``retrieve``, ``create``, ``update``, ``delete`` it offers."""
        return tuple(verb for verb in VERBS if callable(getattr(self.cls, verb, None)))


#: Every ``client.<attribute>``, by attribute name.
RESOURCES: tuple[ResourceEntry, ...] = (
    ResourceEntry("candidates", Candidates),
    ResourceEntry("conversations", Conversations),
    ResourceEntry("embed", Embed, cli=False),
    ResourceEntry("flow_generations", FlowGenerations),
    ResourceEntry("flow_runs", FlowRuns),
    ResourceEntry("flows", Flows),
    ResourceEntry("management", Management, cli=False),
    ResourceEntry("message_templates", MessageTemplates),
    ResourceEntry("message_threads", MessageThreads),
    ResourceEntry("messages", Messages),
    ResourceEntry("node_actions", NodeActions),
    ResourceEntry("node_transitions", NodeTransitions),
    ResourceEntry("nodes", Nodes),
    ResourceEntry("organizations", Organizations),
    ResourceEntry("users", Users),
    ResourceEntry("vacancies", Vacancies),
    ResourceEntry("vacancy_analyses", VacancyAnalyses),
    ResourceEntry("webhooks", Webhooks),
)
