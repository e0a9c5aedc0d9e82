"""`occi`: the command line (see parser.py for its two forms)."""
# PYTHON_ARGCOMPLETE_OK

from __future__ import annotations

import sys
from collections.abc import Sequence

import argcomplete
from argcomplete.shell_integration import shellcode

from occi_client.cli import commands, debug
from occi_client.cli.output import Printer
from occi_client.cli.parser import build
from occi_client.cli.settings import UsageError, make_auth
from occi_client.client import Client
from occi_client.errors import OCCIClientError, OCCIError
from occi_client.model import UnknownCategory


def main(argv: Sequence[str] | None = None) -> int:
    parser = build()
    argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    if args.noun == "completion":
        sys.stdout.write(shellcode(["occi"], shell=args.shell))
        return 0
    if args.noun is None and args.action is None:
        parser.print_usage(sys.stderr)
        sys.stderr.write("occi: give a command (occi --help) or --action\n")
        return 2
    try:
        client = Client(
            args.endpoint,
            make_auth(args),
            rendering=args.rendering,
            timeout=args.timeout,
            verify=not args.insecure,
        )
        if args.debug:
            debug.install(client.http)
        with client:
            runner = commands.Runner(client, args, Printer(args.output_format))
            if args.noun is None:
                commands.rocci(runner, args)
            else:
                commands.subcommand(runner, args)
    except (UsageError, UnknownCategory, ValueError) as error:
        sys.stderr.write(f"occi: {error}\n")
        return 2
    except OCCIError as error:
        sys.stderr.write(f"occi: {error.status} {error.message}\n")
        return 1
    except OCCIClientError as error:
        sys.stderr.write(f"occi: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
