"""One module per ``zsp`` command; each only parses arguments and prints, engines do the work."""
