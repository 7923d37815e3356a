from tread_inbox import MIGRATIONS_DIR
from tread_inbox.settings import Settings
from tread_shared.service_main import run_service_command

if __name__ == "__main__":
    run_service_command(
        settings_factory=Settings,
        app_factory="tread_inbox.app:create_app",
        migrations_dir=MIGRATIONS_DIR,
    )
