"""`fabrique`: run the whole suite, migrate, seed, and each component's own commands.

Components plug in without an edit here: `gateway/cli.py` and `services/<name>/cli.py` may define
a `typer.Typer()` named `app` (mounted as `fabrique <name> ...`, the gateway's at top level), and
`seed.py` may define `async def seed(session)` for demo data.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shared.components import Component, components, gateway, optional_module
from shared.database import admin_url
from shared.settings import get_settings

console = Console()
app = typer.Typer(help="Fabrique: JSON APIs for the public services of the French social ministries.",
                  no_args_is_help=True)
db_app = typer.Typer(help="The database.")
app.add_typer(db_app, name="db")


def _run(coro):
    return asyncio.run(coro)


@db_app.command("url")
def db_url() -> None:
    """Print the administrator URL of the database (starts the embedded server if needed)."""
    typer.echo(admin_url().render_as_string(hide_password=False))


@app.command()
def migrate() -> None:
    """Create roles and schemas, load referentials, upgrade every component to head."""
    from shared.bootstrap import prepare_database

    with console.status("migrating"):
        _run(prepare_database())
    console.print(f"[green]migrated[/] {', '.join(c.name for c in components())}")


@app.command()
def seed(force: bool = typer.Option(False, help="seed again even if already seeded")) -> None:
    """Load the demo data of every component (once per database unless --force)."""
    from shared.seeding import seed_all

    _run(seed_all(force=force, console=console))


@app.command()
def run(
    no_seed: bool = typer.Option(False, "--no-seed", help="do not seed demo data"),
    reload: bool = typer.Option(False, help="restart services on code change"),
) -> None:
    """Database, migrations, referentials, demo seed, then every service and the gateway."""
    from shared.bootstrap import prepare_database
    from shared.seeding import seed_all

    started = time.monotonic()
    url = admin_url()  # starts the embedded server in this process, stopped when it exits
    with console.status("migrating"):
        _run(prepare_database())
    if not no_seed:
        _run(seed_all(force=False, console=console))
    env = {**os.environ, "FABRIQUE_DATABASE_URL": url.render_as_string(hide_password=False)}
    processes: list[tuple[Component, subprocess.Popen]] = []

    def stop_all(*_):
        for _, process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for _, process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()

    for component in components():
        command = [sys.executable, "-m", "uvicorn", "--factory", component.app_factory, "--host",
                   get_settings().host, "--port", str(component.port), "--no-access-log",
                   "--log-level", "warning"]
        if reload:
            command.append("--reload")
        processes.append((component, subprocess.Popen(command, env=env)))
    # Explicit handlers: a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _wait_ready(processes)
        _print_urls(time.monotonic() - started)
        while all(process.poll() is None for _, process in processes):
            time.sleep(0.5)
        dead = [c.name for c, p in processes if p.poll() is not None]
        console.print(f"[red]stopped unexpectedly:[/] {', '.join(dead)}; stopping everything")
        raise typer.Exit(1)
    except KeyboardInterrupt:
        console.print("stopping...")
    finally:
        stop_all()
        console.print("all processes stopped")


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _wait_ready(processes, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    pending = {c.name: c for c, _ in processes}
    with console.status("waiting for /readyz"):
        while pending and time.monotonic() < deadline:
            for name, component in list(pending.items()):
                try:
                    if httpx.get(f"{component.url}/readyz", timeout=1).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if any(p.poll() is not None for _, p in processes):
                raise typer.Exit(1)
            time.sleep(0.2)
    if pending:
        console.print(f"[red]not ready after {timeout_s:.0f} s:[/] {', '.join(pending)}")
        raise typer.Exit(1)


def _print_urls(elapsed_s: float) -> None:
    table = Table(title=f"Fabrique is ready ({elapsed_s:.1f} s)")
    table.add_column("component")
    table.add_column("direct URL")
    table.add_column("through the gateway")
    gateway_url = next((c.url for c in components() if c.name == "gateway"), None)
    for component in components():
        through = f"{gateway_url}/{component.name}/v1/" if gateway_url and component.name != "gateway" else ""
        table.add_row(component.name, f"{component.url}/docs", through)
    console.print(table)
    if any(c.name == "gateway" for c in components()):
        optional_module(gateway(), "seed").print_demo_logins(console)
    console.print("Ctrl-C stops everything.")


def _mount_component_commands() -> None:
    for component in components():
        module = optional_module(component, "cli")
        if module is None:
            continue
        if component.name == "gateway":
            for group in module.app.registered_groups:
                app.add_typer(group.typer_instance, name=group.name)
            for command in module.app.registered_commands:
                app.registered_commands.append(command)
        else:
            app.add_typer(module.app, name=component.name)


def main() -> None:
    _mount_component_commands()
    app()


if __name__ == "__main__":
    main()
