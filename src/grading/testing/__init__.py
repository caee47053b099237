"""Test and benchmark support, outside the runtime path: the loopback E-utilities stand-in and its faults."""
