"""Entry point Pulumi runs for `--policy-pack policy`."""

import sys
from pathlib import Path

# The rules read the routing table and type tokens in infra/, one directory up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policy.rules import POLICIES

PolicyPack(name="tenantguard-secret-scoping", policies=POLICIES)
