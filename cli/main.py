"""Entry point of ``zsp``. Commands are imported lazily so that ``zsp scan`` never pays for (or
depends on) Pulumi and boto3, and a broken optional dependency only breaks its own command."""

from __future__ import annotations

import importlib
import sys

import click

from . import exit_codes
from .errors import ZspError

COMMANDS: dict[str, tuple[str, str]] = {
    "creds": ("zsp.cli.commands.creds", "Short-lived gateway credential for a caller's SDK."),
    "scan": ("zsp.cli.commands.scan", "Find static inference tokens and who consumes them."),
    "synth": ("zsp.cli.commands.synth", "Offline desired state of a stack, with policy checks."),
    "migrate": ("zsp.cli.commands.migrate", "Move static tokens behind the gateway."),
    "verify": ("zsp.cli.commands.verify", "Prove migrated tokens are gone; report."),
    "revoke": ("zsp.cli.commands.revoke", "Deactivate or rotate the old static credentials."),
    "export-sessions": (
        "zsp.cli.commands.export_sessions",
        "Ship hoop sessions and credential events to a SIEM as OCSF.",
    ),
}
"""name → (module defining a click command of the same name, one-line help)."""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*COMMANDS, *super().list_commands(ctx)])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            command: click.Command = getattr(module, cmd_name.replace("-", "_"))
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zsp")
def cli() -> None:
    """zsp — remove standing access to AI inference endpoints."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a ``ZspError`` becomes one ``zsp: error:`` line and its exit code."""
    try:
        result = cli.main(args=argv, prog_name="zsp", standalone_mode=False)
        return result if isinstance(result, int) else exit_codes.OK
    except ZspError as err:
        click.echo(f"zsp: error: {err}", err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except click.ClickException as err:
        err.show()
        sys.exit(exit_codes.USAGE if err.exit_code == 2 else err.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(exit_codes.USAGE)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    sys.exit(main())
