"""`make bench`: the numbers the issues name, measured on this machine. Never part of `make test`."""
