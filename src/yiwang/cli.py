"""The ``yiwang`` command: Django management with Yiwang's settings, dashes allowed (``yiwang seed-demo``)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
    from django.core.management import execute_from_command_line

    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["yiwang", *args])


if __name__ == "__main__":
    main()
