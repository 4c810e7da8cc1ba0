"""The command line: ``python main.py COMMAND ...``; no command opens the GUI.

Exit codes: 0 done; 1 failed (one sentence on stderr); 2 usage error; 3 finished with some
inputs rejected (each listed); 4 verification failed.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from evidence.errors import TidelineError, VerificationError

from . import bundle_cmds, commands

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_VERIFY = 0, 1, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tideline",
        description="Tideline: an offline workstation for investigating smuggling adverts. "
        "Without a command, opens the desktop application.",
        parents=[_global_options(None)],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # The global options are accepted after the command too; SUPPRESS keeps a value given
    # before the command from being overwritten by the subcommand's default.
    commands.register(sub, _global_options(argparse.SUPPRESS))
    bundle_cmds.register(sub, _global_options(argparse.SUPPRESS))
    return parser


def _global_options(default: object) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--actor",
        default=default,
        help="who is acting (self-asserted; defaults to the operating-system user)",
    )
    common.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks on errors"
    )
    return common


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        problem = display_problem()
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_FAILED
        from gui.app import run_gui  # Qt is loaded only when the window is wanted

        return run_gui(None, actor=args.actor)
    try:
        return int(args.func(args) or 0)
    except VerificationError as e:
        _fail(e, args.debug)
        return EXIT_VERIFY
    except TidelineError as e:
        _fail(e, args.debug)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error of ours; say nothing more.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("Interrupted; work committed so far is kept.", file=sys.stderr)
        return EXIT_FAILED
    except Exception as e:
        if args.debug:
            traceback.print_exc()
        print(f"Unexpected error: {type(e).__name__}: {e} (run with --debug for details).",
              file=sys.stderr)
        return EXIT_FAILED


def display_problem() -> str | None:
    """Why a window cannot open here, in one sentence, or None (checked before Qt aborts)."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("There is no screen to open the window on (DISPLAY is not set): run Tideline on a "
            "desktop, or under xvfb-run; every command works without one.")


def _fail(error: Exception, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    print(str(error), file=sys.stderr)
