"""Filtering, sorting, pagination with links and meta, sparse fieldsets, query errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from emu_helpers import Api
from recrubo_emulator import Emulator


async def _candidates(api: Api, emu: Emulator) -> list[Any]:
    people = [
        ("Anna", "Smith", "anna@example.com"),
        ("bob", "Jones", "bob@example.org"),
        ("Carl", "Smith", None),
        ("Dana", "Brown", "dana@example.com"),
    ]
    out = []
    for i, (first, last, email) in enumerate(people):
        out.append(
            await api.create(
                "candidates",
                "candidates",
                {"phone": str(i), "firstName": first, "lastName": last, "email": email},
            )
        )
        await emu.advance(10)
    return out


def _names(answer: Any) -> list[str]:
    return [r["attributes"]["firstName"] for r in answer.data]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filter[lastName]": "Smith"}, ["Anna", "Carl"]),
        ({"filter[last_name]": "Smith"}, ["Anna", "Carl"]),
        ({"filter[lastName][eq]": "smith"}, []),
        ({"filter[lastName][eql]": "smith"}, ["Anna", "Carl"]),
        ({"filter[firstName]": "Anna,Dana"}, ["Anna", "Dana"]),
        ({"filter[firstName][match]": "Anna,bob"}, ["Anna", "bob"]),
        ({"filter[email][prefix]": "dana"}, ["Dana"]),
        ({"filter[email][suffix]": ".com"}, ["Anna", "Dana"]),
        ({"filter[email]": "null"}, ["Carl"]),
        ({"filter[firstName][gt]": "Carl"}, ["bob", "Dana"]),
        ({"filter[firstName][gte]": "Carl"}, ["bob", "Carl", "Dana"]),
        ({"filter[firstName][lt]": "Carl"}, ["Anna"]),
        ({"filter[firstName][lte]": "Carl"}, ["Anna", "Carl"]),
        ({"filter[lastName]": "Smith", "filter[firstName][prefix]": "C"}, ["Carl"]),
        ({"sort": "lastName,-firstName"}, ["Dana", "bob", "Carl", "Anna"]),
        ({"sort": "-created_at"}, ["Dana", "Carl", "bob", "Anna"]),
        ({"sort": "email"}, ["Carl", "Anna", "bob", "Dana"]),
        ({"sort": "-email"}, ["Dana", "bob", "Anna", "Carl"]),
    ],
)
async def test_filters_and_sorting(
    emu: Emulator, api: Api, params: dict[str, str], expected: list[str]
) -> None:
    """Each operator, snake_case names, comma lists (any of), null, and multi-key sort."""
    await _candidates(api, emu)
    answer = await api.get("/candidates", params=params)
    assert answer.status == 200, answer
    assert _names(answer) == expected


async def test_datetime_and_id_filters(emu: Emulator, api: Api) -> None:
    """createdAt compares as a moment (dates allowed); id filters take comma lists."""
    people = await _candidates(api, emu)
    third = people[2]["attributes"]["createdAt"]
    later = await api.get("/candidates", params={"filter[created_at][gt]": third})
    assert _names(later) == ["Dana"]
    day = third[:10]
    assert len((await api.get("/candidates", params={"filter[createdAt][gte]": day})).data) == 4
    zulu = third.replace("+00:00", "Z")
    assert _names(await api.get("/candidates", params={"filter[createdAt]": zulu})) == ["Carl"]
    ids = f"{people[0]['id']},{people[3]['id']}"
    assert _names(await api.get("/candidates", params={"filter[id]": ids})) == ["Anna", "Dana"]


async def test_boolean_and_integer_filters(api: Api) -> None:
    """Booleans accept true/false, integers compare numerically."""
    for paused in (True, False):
        await api.create(
            "message-threads",
            "messageThreads",
            {"channel": "sms", "identifier": str(paused), "chatbotPaused": paused},
        )
    paused_only = await api.get("/message-threads", params={"filter[chatbotPaused]": "true"})
    assert [t["attributes"]["identifier"] for t in paused_only.data] == ["True"]
    flow = {"reminderMessage": "R", "sessionTimeout": 60, "name": "F"}
    for interval in (5, 50, 500):
        await api.create("flows", "flows", {**flow, "reminderInterval": interval})
    big = await api.get("/flows", params={"filter[reminderInterval][gt]": "40", "sort": "-id"})
    assert sorted(f["attributes"]["reminderInterval"] for f in big.data) == [50, 500]


async def test_pagination_links_and_meta(emu: Emulator, api: Api) -> None:
    """page[size]/page[number] slice the list; links are absolute URIs (brackets
    percent-encoded) and keep other parameters."""
    await _candidates(api, emu)
    params = {"page[size]": "3", "page[number]": "1", "sort": "firstName"}
    first = await api.get("/candidates", params=params)
    assert _names(first) == ["Anna", "Carl", "Dana"]
    assert first.json["meta"] == {"total": 4, "pageCount": 2, "pageSize": 3, "pageNumber": 1}
    links = first.json["links"]
    assert links["prev"] is None
    assert links["self"].startswith(api.base_url + "/candidates?")
    assert parse_qs(urlsplit(links["next"]).query) == {
        "sort": ["firstName"],
        "page[size]": ["3"],
        "page[number]": ["2"],
    }
    second = await api.get(links["next"])
    assert _names(second) == ["bob"]
    assert second.json["links"]["next"] is None
    assert second.json["links"]["prev"] == links["self"]
    assert second.json["links"]["last"] == second.json["links"]["self"]
    beyond = await api.get("/candidates", params={"page[number]": "9"})
    assert beyond.data == []
    assert "page%5Bnumber%5D=1" in beyond.json["links"]["prev"]


async def test_page_size_defaults_to_25_and_clamps_at_200(api: Api) -> None:
    """Without page[size] a page holds 25; asking for more than 200 gives 200."""
    for i in range(30):
        await api.create("vacancies", "vacancies", {"title": f"T{i}", "description": "D"})
    default = await api.get("/vacancies")
    assert len(default.data) == 25
    assert default.json["meta"]["total"] == 30
    clamped = await api.get("/vacancies", params={"page[size]": "5000"})
    assert len(clamped.data) == 30
    assert clamped.json["meta"]["pageSize"] == 200


async def test_sparse_fieldsets(api: Api) -> None:
    """fields[type]=a,b limits attributes and relationships, for primary and included data."""
    cand = await api.create("candidates", "candidates", {"phone": "1", "firstName": "A"})
    answer = await api.get(
        f"/candidates/{cand['id']}",
        params={"fields[candidates]": "first_name,organization", "include": "organization"},
    )
    assert answer.data["attributes"] == {"firstName": "A"}
    assert list(answer.data["relationships"]) == ["organization"]
    listed = await api.get(
        "/candidates", params={"fields[candidates]": "phone", "fields[organizations]": "name"}
    )
    assert listed.data[0]["attributes"] == {"phone": "1"}
    org = await api.get(
        f"/candidates/{cand['id']}",
        params={"include": "organization", "fields[organizations]": "name"},
    )
    assert org.json["included"][0]["attributes"] == {"name": "Acme"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("filter[unknown]", "1"),
        ("filter[parameters]", "1"),
        ("filter[lastName][nope]", "1"),
        ("filter[createdAt][gt]", "yesterday"),
        ("filter[chatbotPaused]", "maybe"),
        ("filter[lastName][gt][x]", "1"),
        ("filter", "1"),
        ("filter[reminderInterval]", "abc"),
        ("filter[reminderInterval]", "nan"),
        ("filter[chatbotPaused][gt]", "true"),
        ("filter[reminderInterval][prefix]", "1"),
        ("sort", "nope"),
        ("sort", "-parameters"),
        ("page[number]", "0"),
        ("page[number]", "one"),
        ("page[size]", "-1"),
        ("page[offset]", "1"),
        ("fields[candidates]", ","),
        ("filter[lastName]", ""),
        ("filter[createdAt]", "2026-13-01"),
        ("include", ","),
        ("fields[candidates]", "nope"),
        ("fields[candidates][x]", "a"),
        ("include", "nope"),
        ("include", "nodes.nope"),
    ],
)
async def test_bad_query_parameters_are_400_naming_the_parameter(
    api: Api, key: str, value: str
) -> None:
    """Unknown fields or operators, bad values and bad page numbers answer 400, never 500."""
    path = {
        "filter[chatbotPaused]": "/message-threads",
        "filter[chatbotPaused][gt]": "/message-threads",
        "filter[reminderInterval]": "/flows",
        "filter[reminderInterval][prefix]": "/flows",
        "filter[parameters]": "/flow-generations",
        "sort": "/flow-generations",
        "include": "/flows",
    }.get(key, "/candidates")
    answer = await api.get(path, params={key: value})
    assert answer.status == 400, answer
    [err] = answer.errors
    assert err["status"] == "400"
    expected = "sort" if key == "sort" else "include" if key == "include" else key
    assert err["source"] == {"parameter": expected}
    assert expected in err["detail"]


async def test_unrelated_parameters_are_ignored(api: Api) -> None:
    """Parameters outside the JSON:API families (and sort on a single resource) are ignored."""
    cand = await api.create("candidates", "candidates", {"phone": "1"})
    assert (await api.get("/candidates", params={"foo": "bar"})).status == 200
    single = await api.get(f"/candidates/{cand['id']}", params={"sort": "x", "filter[x]": "y"})
    assert single.status == 200


async def test_a_fieldset_for_a_type_the_answer_cannot_hold_has_no_effect(api: Api) -> None:
    """JSON:API: fields[type] limits that type's resources; an unknown type limits nothing."""
    await api.create("candidates", "candidates", {"phone": "1", "firstName": "Ada"})
    answer = await api.get("/candidates", params={"fields[unicorns]": "horn"})
    assert answer.status == 200
    assert answer.data[0]["attributes"]["firstName"] == "Ada"
