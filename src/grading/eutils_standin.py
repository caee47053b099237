"""`python -m grading.eutils_standin FILE...`: the documented command for the loopback E-utilities
stand-in, which lives in grading.testing.standin (test support, outside the runtime path)."""

from grading.testing.standin import main

if __name__ == "__main__":
    raise SystemExit(main())
