"""Typed models: one frozen attrs class per JSON:API type, plus request builders."""

from __future__ import annotations

from ._base import (
    GenericResource,
    OpenEnum,
    Relationship,
    Resource,
    ResourceIdentifier,
    resolve_model_types,
)
from ._wire import WireObject
from .candidate import Candidate, CandidateStatus
from .conversation import Conversation, ConversationStatus
from .embed_token import EmbedToken
from .flow import Flow
from .flow_generation import (
    CandidateField,
    ExtraOption,
    FlowGeneration,
    FlowGenerationStatus,
    FlowType,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from .flow_run import FlowRun, FlowRunStatus
from .message import DeliveryStatus, Message, MessageOrigin
from .message_payloads import (
    MediaBody,
    MediaMessage,
    MediaType,
    MessagePayload,
    TemplateComponentValues,
    TemplateMessage,
    TemplateParameter,
    TemplateReference,
    TextBody,
    TextMessage,
)
from .message_template import (
    ComponentType,
    MessageTemplate,
    TemplateCategory,
    TemplateComponent,
    TemplateStatus,
)
from .message_thread import Channel, MessageThread
from .node import EndFlowType, Node
from .node_action import ActionSubType, ActionType, NodeAction
from .node_transition import NodeTransition
from .organization import Organization
from .user import User
from .vacancy import Location, Vacancy
from .vacancy_analysis import AnalyzeResult, Certification, Skill, VacancyAnalysis
from .webhook import EnsureResult, Webhook, WebhookEvent, WebhookSubscription

# Models name each other in relationship fields; resolve those names now all are loaded.
resolve_model_types()

__all__ = [
    "ActionSubType",
    "ActionType",
    "AnalyzeResult",
    "Candidate",
    "CandidateField",
    "CandidateStatus",
    "Certification",
    "Channel",
    "ComponentType",
    "Conversation",
    "ConversationStatus",
    "DeliveryStatus",
    "EmbedToken",
    "EndFlowType",
    "EnsureResult",
    "ExtraOption",
    "Flow",
    "FlowGeneration",
    "FlowGenerationStatus",
    "FlowRun",
    "FlowRunStatus",
    "FlowType",
    "GenericResource",
    "Location",
    "MediaBody",
    "MediaMessage",
    "MediaType",
    "Message",
    "MessageOrigin",
    "MessagePayload",
    "MessageTemplate",
    "MessageThread",
    "Node",
    "NodeAction",
    "NodeTransition",
    "OpenEnum",
    "Organization",
    "Relationship",
    "Requirement",
    "Resource",
    "ResourceIdentifier",
    "Skill",
    "TemplateCategory",
    "TemplateComponent",
    "TemplateComponentValues",
    "TemplateMessage",
    "TemplateParameter",
    "TemplateReference",
    "TemplateStatus",
    "TextBody",
    "TextContext",
    "TextMessage",
    "User",
    "Vacancy",
    "VacancyAnalysis",
    "VacancyApplicationParameters",
    "Webhook",
    "WebhookEvent",
    "WebhookSubscription",
    "WireObject",
]
