from pathlib import Path
from typing import Any

import pytest

from tread_cli.main import _cors_origins, _service_ports, build_parser


def parse(*argv: str) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    values = vars(args)
    if args.command in ("up", "gateway-config"):
        values["service_ports"] = _service_ports(args)
        values["cors_origins"] = _cors_origins(args)
    return values


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TREAD_VAR_DIR",
        "TREAD_GATEWAY_PORT",
        "TREAD_NATS_PORT",
        "TREAD_NATS_URL",
        "TREAD_POSTGRES_URL",
        "TREAD_GATEWAY_CORS_ORIGINS",
        "ACCOUNTS_HTTP_PORT",
        "MARKET_INTEL_HTTP_PORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_stay_clear_of_a_system_nats_and_postgres() -> None:
    up = parse("up")

    assert up["nats_port"] == 4223
    assert up["gateway_port"] == 8080
    assert up["service_ports"] == {
        "accounts": 8101,
        "actionplans": 8102,
        "contracts": 8103,
        "market-intel": 8104,
        "reporting": 8105,
        "inbox": 8106,
    }
    assert up["postgres"] is None and up["nats"] is None
    assert up["var_dir"] == Path("var")
    assert up["cors_origins"] == []


def test_every_port_comes_from_the_environment_or_a_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREAD_GATEWAY_PORT", "9080")
    monkeypatch.setenv("TREAD_NATS_PORT", "5222")
    monkeypatch.setenv("MARKET_INTEL_HTTP_PORT", "9104")

    from_env = parse("up")
    flags = parse("up", "--gateway-port", "7080", "--market-intel-port", "7104")

    assert (from_env["gateway_port"], from_env["nats_port"]) == (9080, 5222)
    assert from_env["service_ports"]["market-intel"] == 9104
    assert flags["gateway_port"] == 7080
    assert flags["service_ports"]["market-intel"] == 7104


def test_external_postgres_and_nats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREAD_NATS_URL", "nats://127.0.0.1:4222")

    up = parse("up", "--postgres", "postgresql+asyncpg://postgres@127.0.0.1:5432")

    assert up["postgres"] == "postgresql+asyncpg://postgres@127.0.0.1:5432"
    assert up["nats"] == "nats://127.0.0.1:4222"


def test_cors_origins_from_flags_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TREAD_GATEWAY_CORS_ORIGINS", "https://a.example,https://b.example")

    assert parse("up")["cors_origins"] == ["https://a.example", "https://b.example"]
    assert parse("up", "--cors-origin", "http://localhost:5173")["cors_origins"] == [
        "http://localhost:5173"
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ("up", "--gateway-port", "70000"),
        ("up", "--accounts-port", "http"),
        ("up", "--cors-origin", "localhost:5173"),
        ("token", "--role", "admin"),
        ("token", "--sub", "x"),
        ("migrate", "--service", "billing"),
        ("nope",),
    ],
)
def test_wrong_arguments_are_refused(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)

    assert exit_.value.code == 2
    assert "usage: tread" in capsys.readouterr().err


def test_a_malformed_origin_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREAD_GATEWAY_CORS_ORIGINS", "https://ok.example,not an origin")

    with pytest.raises(SystemExit, match="TREAD_GATEWAY_CORS_ORIGINS"):
        parse("up")
