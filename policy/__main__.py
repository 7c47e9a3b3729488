"""The azureml-infra CrossGuard policy pack, run by the Pulumi CLI:

    pulumi preview --stack <s> --policy-pack policy --policy-pack-config policy/config/<s>.json

Constructing PolicyPack starts the analyzer's gRPC server and blocks forever, so nothing
may import this module: tests and the offline runner import ``rules`` instead. The CLI runs
this directory as the program, so ``rules`` is imported as a top-level module.
"""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import policies

PolicyPack(
    name="azureml-infra",
    policies=policies(),
    # Each policy sets its own level; the per-stack config file overrides it.
    enforcement_level=EnforcementLevel.MANDATORY,
)
