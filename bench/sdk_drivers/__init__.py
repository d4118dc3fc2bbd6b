"""SDK overhead drivers, one per SDK (the protocol is in bench/README.md)."""
