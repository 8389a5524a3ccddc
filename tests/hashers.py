"""A cheap Argon2 for tests: same algorithm and encoding, a tiny work factor.

Users are created by the hundred in tests; production-cost Argon2 made that the
slowest part of the suite. Hashes still start with "argon2" and verify normally.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8
    parallelism = 1
