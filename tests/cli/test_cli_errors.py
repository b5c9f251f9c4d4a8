"""The ``recrubo`` command line's errors: one line, the right exit status, no secret."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from recrubo_async.cli._app import build_parser
from recrubo_async.cli._commands import make_client
from tests.cli._helpers import (
    EmulatorThread,
    Org,
    free_port,
    generation,
    one_error_line,
    run,
)

# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["get", "widgets", "x"], "unknown resource type 'widgets'; choose one of: candidates"),
        (["list", "flows", "--filter", "status"], "bad --filter 'status': write FIELD=VALUE"),
        (["list", "flows", "--filter", "name[near]=x"], "unknown operator 'near'"),
        (["list", "flows", "--filter", "name="], "the value is empty"),
        (["list", "flows", "--filter", "a=1", "--filter", "a=2"], "a is filtered twice"),
        (["list", "flows", "--filter", "a[gt]=1", "--filter", "a[gt]=2"], "a is filtered twice"),
        (["list", "flows", "--include", "owner"], "flows has no relationship 'owner'"),
        (["list", "flows", "--page-size", "500"], "page_size must be from 1 to 200"),
        (["list", "flows", "--sort", ","], "sort is empty"),
        (["list", "flows", "--limit", "-1"], "expected a whole number"),
        (["--max-retries", "many", "list", "flows"], "expected a whole number"),
        (["get", "flows", " "], "the resource ID is empty"),
        (["flows", "generate", "--vacancy", "/no/such/file"], "No such file or directory"),
        (["flows", "generate", "--vacancy", "x", "--timeout", "5"], "applies only with --wait"),
        (["flows", "generate", "--vacancy", "x", "--timeout", "soon", "--wait"], "seconds"),
        (["webhooks", "listen", "--port", "0"], "no webhook secret"),
        (["webhooks", "listen", "--port", "0", "--secret", "s3cr3t!", "--path", "x"], "'/'"),
        (["--base-url", "ftp://example.com", "get", "flows", "x"], "base_url must be an http"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    org: Org, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    result = run(capsys, *argv)
    assert message in one_error_line(result, 2)
    assert result.out == ""


def test_a_missing_api_key_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECRUBO_API_KEY", raising=False)
    result = run(capsys, "get", "flows", "x")
    assert one_error_line(result, 2) == (
        "recrubo: error: no API key: set RECRUBO_API_KEY (or pass --api-key)"
    )


def test_an_empty_vacancy_file_is_a_usage_error(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    generate = ("flows", "generate", "--vacancy")
    assert "is empty" in one_error_line(run(capsys, *generate, str(empty)), 2)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in one_error_line(run(capsys, *generate, str(binary)), 2)


def test_api_errors_are_one_line_and_exit_1(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    missing = one_error_line(run(capsys, "get", "flows", "00000000-0000-0000-0000-000000000000"), 1)
    assert "404 Not Found" in missing
    bad_filter = one_error_line(run(capsys, "list", "flows", "--filter", "colour=red"), 1)
    assert "400 Bad Request" in bad_filter and "filter[colour]" in bad_filter


def test_a_refused_connection_is_one_line_and_exit_1(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/public/v2"
    result = run(capsys, "--base-url", url, "--max-retries", "0", "get", "flows", "x")
    assert "got no answer" in one_error_line(result, 1)


def test_the_api_key_never_appears_in_error_output(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "rcb_wrong_key_that_must_stay_secret"
    denied = run(capsys, "--api-key", wrong, "get", "flows", "x")
    assert "401 Unauthorized" in one_error_line(denied, 1)
    typo = run(capsys, "list", "flows", f"--api-key={wrong}", "--bogus", wrong)
    assert one_error_line(typo, 2).startswith("recrubo: error: unrecognized arguments: --bogus")
    env_key = run(capsys, "list", "flows", "--stray", org.token)
    one_error_line(env_key, 2)
    for result in (denied, typo, env_key):
        assert wrong not in result.err + result.out
        assert org.token not in result.err + result.out


def test_environment_flag_overrides_the_base_url_variable_but_not_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECRUBO_API_KEY", "rcb_key_from_the_environment")
    monkeypatch.setenv("RECRUBO_BASE_URL", "http://127.0.0.1:9/public/v2")

    def base_url(*argv: str) -> str:
        client = make_client(build_parser().parse_args([*argv, "get", "flows", "x"]))
        return client.base_url  # the session is made lazily: nothing to close

    assert base_url() == "http://127.0.0.1:9/public/v2"
    assert base_url("--environment", "sandbox") == "https://api-staging.recrubo.app/public/v2"
    explicit = ("--environment", "sandbox", "--base-url", "http://127.0.0.1:7/public/v2")
    assert base_url(*explicit) == "http://127.0.0.1:7/public/v2"


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_output_pipe_ends_quietly_with_exit_1(
    emulator: EmulatorThread,
    org: Org,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generation(emulator, org)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    result = run(capsys, "list", "flows")
    assert (result.code, result.err) == (1, "")
