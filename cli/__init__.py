"""The ``zsp`` command line: find static inference tokens and move them behind the gateway."""
