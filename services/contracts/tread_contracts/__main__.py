from tread_contracts import MIGRATIONS_DIR
from tread_contracts.settings import Settings
from tread_shared.service_main import run_service_command

if __name__ == "__main__":
    run_service_command(
        settings_factory=Settings,
        app_factory="tread_contracts.app:create_app",
        migrations_dir=MIGRATIONS_DIR,
    )
