"""List query parameters: filters, sort, include checks, sparse fields, page size."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from recrubo_async._query import (
    FILTER_OPERATORS,
    check_page_size,
    fields_params,
    filter_params,
    include_paths,
    sort_param,
)
from recrubo_async.models import Flow, FlowRunStatus, MessageTemplate, Node


def test_plain_filter_uses_camel_case_field_names() -> None:
    assert filter_params({"message_thread_id": "t1", "status": "finished"}) == [
        ("filter[messageThreadId]", "t1"),
        ("filter[status]", "finished"),
    ]


def test_camel_case_filter_keys_pass_unchanged() -> None:
    assert filter_params({"endFlowType": "declined"}) == [("filter[endFlowType]", "declined")]


@pytest.mark.parametrize("op", FILTER_OPERATORS)
def test_each_operator_becomes_a_nested_key(op: str) -> None:
    assert filter_params({"name": {op: "x"}}) == [(f"filter[name][{op}]", "x")]


def test_lists_are_comma_joined_for_any_of() -> None:
    assert filter_params({"delivery_status": ["sent", "accepted"]}) == [
        ("filter[deliveryStatus]", "sent,accepted")
    ]
    assert filter_params({"delivery_status": {"match": ("sent", "accepted")}}) == [
        ("filter[deliveryStatus][match]", "sent,accepted")
    ]


def test_datetimes_dates_bools_and_enums_are_formatted() -> None:
    moment = datetime(2024, 2, 5, 12, 0, tzinfo=timezone.utc)
    assert filter_params(
        {
            "created_at": {"gt": moment, "lte": date(2024, 3, 1)},
            "is_end_flow": True,
            "status": FlowRunStatus.FINISHED,
            "index": 3,
        }
    ) == [
        ("filter[createdAt][gt]", "2024-02-05T12:00:00Z"),
        ("filter[createdAt][lte]", "2024-03-01"),
        ("filter[isEndFlow]", "true"),
        ("filter[status]", "finished"),
        ("filter[index]", "3"),
    ]


def test_an_unknown_operator_is_a_value_error_listing_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown operator 'like'.*eq, eql, prefix"):
        filter_params({"name": {"like": "x"}})


def test_an_empty_list_filter_is_refused() -> None:
    with pytest.raises(ValueError, match="empty list"):
        filter_params({"status": []})


def test_an_empty_operator_mapping_is_refused_naming_the_filter() -> None:
    """Dropped, it would widen the list to every resource (e.g. bounds left unset)."""
    with pytest.raises(ValueError, match=r"filter\[created_at\]: no operator given"):
        filter_params({"status": "finished", "created_at": {}})


def test_an_unsupported_filter_value_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"filter\[state\]"):
        filter_params({"state": None})  # type: ignore[dict-item]


def test_sort_keys_are_camel_cased_with_descending_prefix_kept() -> None:
    assert sort_param("-created_at") == "-createdAt"
    assert sort_param(["status", "-updated_at"]) == "status,-updatedAt"
    with pytest.raises(ValueError, match="sort is empty"):
        sort_param([])


def test_include_paths_are_checked_against_the_models_relationships() -> None:
    assert include_paths("nodes.node_actions,nodes.node_transitions", Flow) == [
        "nodes.nodeActions",
        "nodes.nodeTransitions",
    ]
    assert include_paths(["flow.nodes", "nodeActions"], Node) == ["flow.nodes", "nodeActions"]


def test_an_unknown_include_names_the_path_and_the_valid_relationships() -> None:
    with pytest.raises(ValueError, match=r"'nodes\.actions'.*nodes has no relationship 'actions'"):
        include_paths("nodes.actions", Flow)
    with pytest.raises(ValueError, match="valid ones: flow_generation, flow_runs, nodes, vacancy"):
        include_paths("steps", Flow)


def test_including_on_a_type_without_relationships_says_none_are_valid() -> None:
    with pytest.raises(ValueError, match="valid ones: none"):
        include_paths("owner", MessageTemplate)


def test_includes_below_an_unmodelled_type_are_not_checked() -> None:
    from recrubo_async.models import Candidate

    assert include_paths("candidate_status.owner", Candidate) == ["candidateStatus.owner"]
    assert include_paths("anything.else") == ["anything.else"]


def test_sparse_fieldsets_camel_case_types_and_names() -> None:
    assert fields_params({"flow_runs": ["status", "message_thread_id"], "flows": "name"}) == [
        ("fields[flowRuns]", "status,messageThreadId"),
        ("fields[flows]", "name"),
    ]


@pytest.mark.parametrize("size", [1, 25, 200])
def test_page_sizes_from_1_to_200_are_accepted(size: int) -> None:
    assert check_page_size(size) == size


@pytest.mark.parametrize("size", [0, -1, 201])
def test_page_sizes_out_of_range_are_value_errors(size: int) -> None:
    with pytest.raises(ValueError, match="page_size must be from 1 to 200"):
        check_page_size(size)


def test_a_non_int_page_size_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="page_size"):
        check_page_size(True)
