import pytest

from tread_cli.up import development_secrets


def test_accounts_gets_development_webhook_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCOUNTS_CREDIT_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("ACCOUNTS_BILLING_WEBHOOK_SECRET", raising=False)
    assert development_secrets("ACCOUNTS_") == {
        "ACCOUNTS_CREDIT_WEBHOOK_SECRET": "dev-credit-secret",
        "ACCOUNTS_BILLING_WEBHOOK_SECRET": "dev-billing-secret",
    }
    assert development_secrets("CONTRACTS_") == {}


def test_a_secret_set_in_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOUNTS_CREDIT_WEBHOOK_SECRET", "from-the-operator")
    assert "ACCOUNTS_CREDIT_WEBHOOK_SECRET" not in development_secrets("ACCOUNTS_")
