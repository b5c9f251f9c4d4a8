"""The resource types as the docs describe them: one ``Spec`` a type, looked up by type or path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ._spec import Field, Rel, Spec


def _f(
    name: str,
    kind: str = "string",
    rw: str = "",
    *,
    visible: bool = True,
    enum: tuple[str, ...] = (),
    indexed: bool = False,
    pattern: str | None = None,
    pattern_hint: str = "",
) -> Field:
    # ``rw`` is a compact form of the docs' HTTP-methods table: "c" = POST, "u" = PATCH, "r" =
    # required on POST.
    return Field(
        name,
        kind,
        post="c" in rw,
        patch="u" in rw,
        required="r" in rw,
        visible=visible,
        enum=enum,
        indexed=indexed,
        pattern=pattern,
        pattern_hint=pattern_hint,
    )


_TS = (_f("createdAt", "datetime"), _f("updatedAt", "datetime"))
_ORG = _f("organizationId", visible=False, indexed=True)
_ALL = frozenset({"list", "show", "create", "update", "delete"})
_NO_PATCH = frozenset({"list", "show", "create", "delete"})

NODE_SUBTYPES = (
    "text",
    "contact",
    "location",
    "list",
    "appointment",
    "image",
    "video",
    "audio",
    "document",
    "set-variable",
)
WEBHOOK_EVENTS = ("create", "update", "delete")
#: MessageThread channels: the docs name WhatsApp, SMS and Facebook Messenger ("e.g. whatsapp
#: or facebook-messenger"); the SDK's ``Channel`` adds ``messenger`` and ``web``.
CHANNELS = ("whatsapp", "sms", "messenger", "facebook-messenger", "web")
#: A phone number as the docs write it (``31612345678``): digits with an optional leading
#: ``+``, at most 15 of them (E.164's limit); single spaces, dashes or parentheses may separate
#: them. The docs give no minimum, so short numbers (test data such as ``"1"``) pass.
PHONE_PATTERN = r"\+?[0-9](?:[ ()-]?[0-9]){0,14}"
_PHONE_HINT = "expected a phone number: up to 15 digits, e.g. 31612345678 or +31 6 12345678"

ORGANIZATION_FIELDS = (
    _f("name", rw="cur"),
    _f("webhookUrl", rw="cu"),
    _f("webhookSecret", rw="cu"),
    *_TS,
)
ORG_USERS = Rel("users", "users", "reverse", "organizationId")

#: The standard view of an organization (organization key; no token).
ORGANIZATIONS = Spec(
    "organizations",
    "organizations",
    (
        _f("name"),
        _f("webhookUrl", rw="u"),
        _f("webhookSecret", rw="u"),
        *_TS,
    ),
    (ORG_USERS,),
    frozenset({"list", "show", "update"}),
    "Organization",
    patch_required=("webhookUrl", "webhookSecret"),
)

#: The management view of an organization (partner key; token visible).
MANAGEMENT_ORGANIZATIONS = Spec(
    "organizations",
    "management/organizations",
    (*ORGANIZATION_FIELDS, _f("token")),
    (ORG_USERS,),
    _ALL,
    "Organization",
)

RESOURCES: tuple[Spec, ...] = (
    Spec(
        "candidates",
        "candidates",
        (
            _f("firstName", rw="cu"),
            _f("lastName", rw="cu"),
            _f("email", rw="cu"),
            _f("phone", rw="cur", pattern=PHONE_PATTERN, pattern_hint=_PHONE_HINT),
            _f("postalCode", rw="cu"),
            _f("candidateStatusId", rw="cu", indexed=True),
            _f("deletedAt", "datetime"),
            *_TS,
            _ORG,
        ),
        (
            Rel("organization", "organizations", "fk", "organizationId"),
            Rel("candidateStatus", "candidateStatuses", "fk", "candidateStatusId", True, True),
            Rel("messageThreads", "messageThreads", "reverse", "candidateId"),
            Rel("conversations", "conversations", "reverse", "candidateId"),
        ),
        _ALL,
        "Candidate",
    ),
    Spec(
        "conversations",
        "conversations",
        (
            _f("status", rw="u", enum=("open", "closed")),
            _f("unreadMessages", "boolean", rw="u"),
            _f("unreadMessagesCount", "integer", rw="u"),
            _f("messageThreadId", indexed=True),
            _f("candidateId", indexed=True),
            *_TS,
            _ORG,
        ),
        (
            Rel("messageThread", "messageThreads", "fk", "messageThreadId"),
            Rel("candidate", "candidates", "fk", "candidateId"),
        ),
        frozenset({"list", "show", "update"}),
        "Conversation",
    ),
    Spec(
        "flows",
        "flows",
        (
            _f("name", rw="cur"),
            _f("reminderInterval", "integer", rw="cur"),
            _f("reminderMessage", rw="cur"),
            _f("sessionTimeout", "integer", rw="cur"),
            _f("flowGenerationId", indexed=True),
            _f("publishedAt", "datetime"),
            _f("unpublishedChanges", "boolean"),
            *_TS,
            _f("vacancyId", visible=False, indexed=True),
            _ORG,
        ),
        (
            Rel("nodes", "nodes", "reverse", "flowId"),
            Rel("flowGeneration", "flowGenerations", "fk", "flowGenerationId"),
            Rel("vacancy", "vacancies", "fk", "vacancyId"),
            Rel("flowRuns", "flowRuns", "reverse", "flowId"),
        ),
        _ALL,
        "Flow",
    ),
    Spec(
        "flowRuns",
        "flow-runs",
        (
            _f("flowId", rw="cr", indexed=True),
            _f("messageThreadId", rw="cr", indexed=True),
            _f("state", "object", rw="cu"),
            _f("initialMessage", "object", rw="c"),
            _f("status", rw="u", enum=("finished", "timeout", "cancelled", "exception")),
            _f("cost", "integer"),
            *_TS,
            _ORG,
        ),
        (
            Rel("flow", "flows", "fk", "flowId", post=True),
            Rel("messageThread", "messageThreads", "fk", "messageThreadId", post=True),
        ),
        _ALL,
        "FlowRun",
    ),
    Spec(
        "flowGenerations",
        "flow-generations",
        (
            _f("flowType", rw="cr", enum=("vacancy_application_flow",)),
            _f("parameters", "object", rw="cr"),
            _f("context", "object", rw="c"),
            _f("flowId", indexed=True),
            _f("status"),
            _f("cost", "integer"),
            *_TS,
            _ORG,
        ),
        (Rel("flow", "flows", "fk", "flowId"),),
        _NO_PATCH,
        "FlowGeneration",
    ),
    Spec(
        "messages",
        "messages",
        (
            _f("sendBy", rw="cur"),
            _f("origin"),
            _f("messageThreadId", rw="cr", indexed=True),
            _f("payload", "object", rw="cur"),
            _f("deliveryStatus"),
            _f("errorMessages", "array"),
            *_TS,
            _ORG,
        ),
        (Rel("messageThread", "messageThreads", "fk", "messageThreadId", post=True),),
        _ALL,
        "Message",
    ),
    Spec(
        "messageTemplates",
        "message-templates",
        (
            _f("name", rw="cr"),
            _f("components", "array", rw="cr"),
            _f("language", rw="cr"),
            _f("category", rw="cr"),
            _f("status"),
            _f("preview", rw="c"),
            *_TS,
            _ORG,
        ),
        (),
        _NO_PATCH,
        "MessageTemplate",
    ),
    Spec(
        "messageThreads",
        "message-threads",
        (
            _f("channel", rw="cur", enum=CHANNELS),
            _f("identifier", rw="cur"),
            _f("chatbotPaused", "boolean", rw="cu"),
            *_TS,
            # Docs: a candidate is attached "directly with the candidate id" or as a relationship.
            _f("candidateId", rw="cu", visible=False, indexed=True),
            _ORG,
        ),
        (
            Rel("candidate", "candidates", "fk", "candidateId", post=True, patch=True),
            Rel("messages", "messages", "reverse", "messageThreadId"),
            Rel("flowRuns", "flowRuns", "reverse", "messageThreadId"),
            Rel("conversations", "conversations", "reverse", "messageThreadId"),
        ),
        _ALL,
        "MessageThread",
    ),
    Spec(
        "nodes",
        "nodes",
        (
            _f("name", rw="cu"),
            _f("index", "integer", rw="cu"),
            _f("flowId", indexed=True),
            _f("isStartFlow", "boolean", rw="cu"),
            _f("isEndFlow", "boolean", rw="cu"),
            _f("endFlowType", rw="cu", enum=("accepted", "declined", "update", "reset")),
            *_TS,
            _ORG,
        ),
        (
            Rel("flow", "flows", "fk", "flowId", post=True, required=True),
            Rel("nodeActions", "nodeActions", "reverse", "nodeId"),
            Rel("nodeTransitions", "nodeTransitions", "reverse", "nodeId"),
        ),
        _ALL,
        "Node",
    ),
    Spec(
        "nodeActions",
        "node-actions",
        (
            _f("actionType", rw="cur", enum=("ask", "say")),
            _f("value", "object", rw="cur"),
            _f("variableName", rw="cu"),
            _f("index", "integer", rw="cu"),
            _f("subType", rw="cur", enum=NODE_SUBTYPES),
            _f("attachmentData", "object", rw="cu"),
            *_TS,
            _f("nodeId", visible=False, indexed=True),
            _ORG,
        ),
        (Rel("node", "nodes", "fk", "nodeId", post=True, required=True),),
        _ALL,
        "NodeAction",
    ),
    Spec(
        "nodeTransitions",
        "node-transitions",
        (
            _f("condition", rw="cu"),
            _f("index", "integer", rw="cu"),
            *_TS,
            _f("nodeId", visible=False, indexed=True),
            _f("exitNodeId", visible=False, indexed=True),
            _ORG,
        ),
        (
            Rel("node", "nodes", "fk", "nodeId", post=True, required=True),
            Rel("exitNode", "nodes", "fk", "exitNodeId", post=True, patch=True),
        ),
        _ALL,
        "NodeTransition",
    ),
    Spec(
        "vacancies",
        "vacancies",
        (
            _f("title", rw="cur"),
            _f("description", rw="cur"),
            _f("deletedAt", "datetime"),
            _f("url", rw="cu"),
            _f("externalId", rw="cu", indexed=True),
            *_TS,
            _f("locationIds", "array", visible=False),
            _ORG,
        ),
        (
            Rel("locations", "locations", "ids", "locationIds", post=True, patch=True),
            Rel("flows", "flows", "reverse", "vacancyId"),
        ),
        _ALL,
        "Vacancy",
    ),
    Spec(
        "vacancyAnalyses",
        "vacancy-analyses",
        (_f("inputText", rw="cr"), _f("analyzeResult", "object"), *_TS, _ORG),
        (),
        _NO_PATCH,
        "VacancyAnalysis",
    ),
    Spec(
        "users",
        "users",
        (
            # Docs list every field as required (read-only ones too); we require the identity.
            _f("firstName", rw="cur"),
            _f("lastName", rw="cur"),
            _f("fullName"),
            _f("email", rw="cur"),
            _f("phone", rw="cu", pattern=PHONE_PATTERN, pattern_hint=_PHONE_HINT),
            _f("timeZone", rw="cu"),
            _f("externalId", rw="cu", indexed=True),
            *_TS,
            _f("candidateIds", "array", visible=False),
            _ORG,
        ),
        (
            Rel("candidates", "candidates", "ids", "candidateIds", post=True, patch=True),
            Rel("organization", "organizations", "fk", "organizationId"),
        ),
        _ALL,
        "User",
    ),
    Spec(
        "webhooks",
        "webhooks",
        (
            _f("resourceType", rw="cr"),
            _f("event", rw="cr", enum=WEBHOOK_EVENTS),
            _f("fields", "array", rw="c"),
            _f("webhookUrl", rw="c"),
            *_TS,
            _ORG,
        ),
        (),
        _NO_PATCH,
        "Webhook",
    ),
)

BY_TYPE: Mapping[str, Spec] = {s.type: s for s in RESOURCES}
BY_PATH: Mapping[str, Spec] = {s.path: s for s in RESOURCES}
#: Every JSON:API type a webhook subscription may name.
SUBSCRIBABLE: frozenset[str] = frozenset([*BY_TYPE, "organizations"])


def spec_for(type_: str) -> Spec | None:
    """The spec of an organization-scoped type or of ``organizations``."""
    if type_ == "organizations":
        return ORGANIZATIONS
    return BY_TYPE.get(type_)


def attribute_names(type_: str) -> Iterable[str]:
    """Rendered attribute names of a type."""
    spec = spec_for(type_)
    return () if spec is None else (f.name for f in spec.visible)
