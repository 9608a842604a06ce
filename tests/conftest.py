"""Shared pytest set-up.

Under CI (the CI environment variable set), hypothesis runs derandomized: the same examples every
run, so a submission cannot fail on a case no one has seen locally; local runs keep exploring new
random cases (and print the blob to reproduce a failure).
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
