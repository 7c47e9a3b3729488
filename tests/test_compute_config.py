"""Every compute config rule: the exact problem line it prints, and that the program stops
before registering anything. Plus the accepted forms of names, durations, keys and identities."""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra.config import ConfigError, parse_config
from azureml_infra.config.compute import (
    CLUSTER_NAME,
    INSTANCE_NAME,
    ComputeIdentity,
    parse_duration,
    ssh_public_key_problem,
)
from azureml_infra.config.loader import SECRET_SETTINGS
from tests.conftest import assert_refused, config_error, stack
from tools.harness import config_from_yaml

SUB = "00000000-0000-0000-0000-000000000000"
SUBNET = (
    f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-ml"
    "/subnets/training"
)
VNET = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-ml"
IDENTITY = f"/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-jobs"
USER = "4f1c2a9e-8d3b-4c6a-9e7f-2b5d8a1c3e60"
# Real keys made with ssh-keygen (public halves only; the private halves were discarded).
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJiEvxIG0oNp769+ZDL64F49aTDZ9f/YPkTVRc3QknqQ azureuser@example"
RSA = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDzzSJNZmsx7sPSul8VlQ+1a5RWcmTM1xOKZ0M5hmI8bU7RUNQSbtZVmJFBqt61IU787WB"
    "zXxbyNnkwrPtnxUE2X3hwOJv8qlno9WNUzuOsa8qiaYk8JAII7B1RZtX1V1Q9rqm/b+jnMO1CPHnnascdxVxQng7okt7ZiXHOb01VqHTd8s"
    "NMZ0mNxA3nv+IhU5xO59KscEY1E6E16VMtNR8tsA4LPlsX5+bqAIf+PmmTZwXVyvMPkHHseQhRZjywXZKitG6n/UapFQqUbA6f0AUivNPYS1"
    "AeCYL7je+Dr+rht/l8ZTRKW6q3FUqAams9cdH4nWtbub1ijEaUkTCuCUzJ"
)
PASSWORD_KEY = "azureml-infra:cpuComputeAdminPassword"


def cluster(**settings: Any) -> dict:
    return {"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 3, **settings}


def instance(**settings: Any) -> dict:
    return {"name": "ci-analyst1", "vmSize": "STANDARD_DS3_V2", "assignedUserObjectId": USER, **settings}


def clusters(*items: dict, secure: dict | None = None, **extra: Any) -> dict:
    return stack({"azureml-infra:computes": list(items), **extra}, secure=secure)


def instances(*items: dict) -> dict:
    return stack({"azureml-infra:computeInstances": list(items)})


def ssh(**settings: Any) -> dict:
    return cluster(ssh={"adminUserName": "azureuser", **settings})


def problems(config: dict) -> list[str]:
    """The problem lines for a stack-file-like config (secure: values become secret keys)."""
    raw, secrets = config_from_yaml(config)
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, secrets, "dev")
    return [str(p) for p in caught.value.problems]


COMPUTE_NAME_RULE = (
    "may contain only letters, digits and hyphens, must start with a letter, and every hyphen must be "
    "followed later by a letter"
)

CASES = {
    "cluster name too long": (
        clusters(cluster(name="cpu-compute-large")),
        "azureml-infra:computes[0].name: a compute cluster name must be 2-16 characters long "
        '(this one has 17) (got "cpu-compute-large")',
    ),
    "cluster name too short": (
        clusters(cluster(name="c")),
        'azureml-infra:computes[0].name: a compute cluster name must be 2-16 characters long (this one has 1) (got "c")',
    ),
    "cluster name starts with a digit": (
        clusters(cluster(name="1cpu")),
        f'azureml-infra:computes[0].name: a compute cluster name {COMPUTE_NAME_RULE} (got "1cpu")',
    ),
    "cluster name ends with hyphen and digits": (
        clusters(cluster(name="cpu-cluster-1")),
        f'azureml-infra:computes[0].name: a compute cluster name {COMPUTE_NAME_RULE} (got "cpu-cluster-1")',
    ),
    "cluster name with an underscore": (
        clusters(cluster(name="cpu_compute")),
        f'azureml-infra:computes[0].name: a compute cluster name {COMPUTE_NAME_RULE} (got "cpu_compute")',
    ),
    "instance name too short": (
        instances(instance(name="ci")),
        'azureml-infra:computeInstances[0].name: a compute instance name must be 3-24 characters long '
        '(this one has 2) (got "ci")',
    ),
    "instance name too long": (
        instances(instance(name="ci-analyst-of-the-ml-team")),
        "azureml-infra:computeInstances[0].name: a compute instance name must be 3-24 characters long "
        '(this one has 25) (got "ci-analyst-of-the-ml-team")',
    ),
    "instance name ends with a hyphen": (
        instances(instance(name="ci-analyst-")),
        f'azureml-infra:computeInstances[0].name: a compute instance name {COMPUTE_NAME_RULE} (got "ci-analyst-")',
    ),
    "duplicate cluster names ignoring case": (
        clusters(cluster(), cluster(name="CPU-Compute")),
        "azureml-infra:computes[1].name: 'CPU-Compute' is already the name of computes[0]; all "
        "computes of a workspace share one set of names (compared ignoring case)",
    ),
    "instance named like a cluster": (
        clusters(cluster(), **{"azureml-infra:computeInstances": [instance(name="cpu-compute")]}),
        "azureml-infra:computeInstances[0].name: 'cpu-compute' is already the name of computes[0]; "
        "all computes of a workspace share one set of names (compared ignoring case)",
    ),
    "duplicate instance names": (
        instances(instance(), instance()),
        "azureml-infra:computeInstances[1].name: 'ci-analyst1' is already the name of computeInstances[0]; "
        "all computes of a workspace share one set of names (compared ignoring case)",
    ),
    "negative minNodes": (
        clusters(cluster(minNodes=-1)),
        "azureml-infra:computes[0].minNodes: must be 0 or more (0 lets the cluster scale to zero)",
    ),
    "maxNodes zero": (
        clusters(cluster(maxNodes=0)),
        "azureml-infra:computes[0].maxNodes: must be 1 or more (a cluster without nodes runs no job)",
    ),
    "maxNodes below minNodes": (
        clusters(cluster(minNodes=4, maxNodes=3)),
        "azureml-infra:computes[0].maxNodes: must be at least minNodes (4)",
    ),
    "maxNodes missing": (
        clusters({"name": "cpu-compute", "vmSize": "STANDARD_D3_V2"}),
        "azureml-infra:computes[0].maxNodes: is required",
    ),
    "maxNodes as text": (
        clusters(cluster(maxNodes="3")),
        'azureml-infra:computes[0].maxNodes: input should be a valid integer (got "3")',
    ),
    "idle time in words": (
        clusters(cluster(idleTimeBeforeScaleDown="15 minutes")),
        "azureml-infra:computes[0].idleTimeBeforeScaleDown: must be an ISO 8601 duration in days, hours, "
        'minutes and seconds, such as PT15M, PT2H30M or P1D (got "15 minutes")',
    ),
    "idle time without the T": (
        clusters(cluster(idleTimeBeforeScaleDown="P15M")),
        "azureml-infra:computes[0].idleTimeBeforeScaleDown: must be an ISO 8601 duration in days, hours, "
        'minutes and seconds, such as PT15M, PT2H30M or P1D (got "P15M")',
    ),
    "idle time of zero": (
        clusters(cluster(idleTimeBeforeScaleDown="PT0S")),
        'azureml-infra:computes[0].idleTimeBeforeScaleDown: must be longer than zero, such as PT15M (got "PT0S")',
    ),
    "idle time as seconds": (
        clusters(cluster(idleTimeBeforeScaleDown=900)),
        "azureml-infra:computes[0].idleTimeBeforeScaleDown: input should be a valid string (got 900)",
    ),
    "instance idle time malformed": (
        instances(instance(idleTimeBeforeShutdown="60m")),
        "azureml-infra:computeInstances[0].idleTimeBeforeShutdown: must be an ISO 8601 duration in days, "
        'hours, minutes and seconds, such as PT15M, PT2H30M or P1D (got "60m")',
    ),
    "unknown priority": (
        clusters(cluster(priority="Spot")),
        "azureml-infra:computes[0].priority: input should be 'Dedicated' or 'LowPriority' (got \"Spot\")",
    ),
    "vm size with spaces": (
        clusters(cluster(vmSize="Standard D3 v2")),
        "azureml-infra:computes[0].vmSize: must be an Azure VM size such as STANDARD_D3_V2 or "
        'Standard_DS3_v2 (got "Standard D3 v2")',
    ),
    "no public IP outside a subnet": (
        clusters(cluster(nodePublicIp=False)),
        "azureml-infra:computes[0].nodePublicIp: false is only valid with subnetId or a managed network "
        "(network.isolation): nodes without a public IP reach Azure through your subnet or the managed network",
    ),
    "subnetId of a VNet": (
        clusters(cluster(subnetId=VNET)),
        "azureml-infra:computes[0].subnetId: is the id of a Microsoft.Network/virtualNetworks, not of a "
        f'Microsoft.Network/virtualNetworks/subnets (got "{VNET}")',
    ),
    "subnetId that is a name": (
        clusters(cluster(subnetId="snet-training")),
        "azureml-infra:computes[0].subnetId: is not a subnet's ARM id; expected /subscriptions/"
        "<subscription-guid>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>"
        '/subnets/<subnet>, or training for the training subnet this stack creates (got "snet-training")',
    ),
    "instance subnetId of an identity": (
        instances(instance(subnetId=IDENTITY)),
        "azureml-infra:computeInstances[0].subnetId: is the id of a Microsoft.ManagedIdentity/"
        "userAssignedIdentities, not of a Microsoft.Network/virtualNetworks/subnets "
        f'(got "{IDENTITY}")',
    ),
    "ssh without a credential": (
        clusters(ssh()),
        "azureml-infra:computes[0].ssh: the admin user needs a credential: set publicKey (preferred) "
        "or passwordSecret",
    ),
    "ssh with both credentials": (
        clusters(ssh(publicKey=ED25519, passwordSecret="cpuComputeAdminPassword"), secure={PASSWORD_KEY: "pw"}),
        "azureml-infra:computes[0].ssh: set publicKey or passwordSecret, not both",
    ),
    "ssh without an admin user name": (
        clusters(cluster(ssh={"publicKey": ED25519})),
        "azureml-infra:computes[0].ssh.adminUserName: is required",
    ),
    "password key not set": (
        clusters(ssh(passwordSecret="cpuComputeAdminPassword")),
        "azureml-infra:computes[0].ssh.passwordSecret: names the config key "
        "'azureml-infra:cpuComputeAdminPassword', which is not set; set it with: pulumi config set "
        '--secret cpuComputeAdminPassword <value>',
    ),
    "password key in plain text": (
        clusters(ssh(passwordSecret="cpuComputeAdminPassword"), **{PASSWORD_KEY: "Passw0rd!"}),
        "azureml-infra:computes[0].ssh.passwordSecret: names the config key "
        "'azureml-infra:cpuComputeAdminPassword', which is stored in plain text; store it as a secret: "
        'pulumi config set --secret cpuComputeAdminPassword <value>',
    ),
    "password written in the cluster": (
        clusters(ssh(password="Passw0rd!")),
        "azureml-infra:computes[0].ssh.password: unknown key; did you mean 'passwordSecret'? "
        "(known keys: adminUserName, publicKey, passwordSecret, publicAccess)",
    ),
    "secure value inside the computes key": (
        clusters(ssh(passwordSecret={"secure": "v1:AAAA"})),
        f"azureml-infra:computes: {SECRET_SETTINGS}",
    ),
    "public key that is not OpenSSH": (
        clusters(ssh(publicKey="ssh-ed25519 not-base64!")),
        "azureml-infra:computes[0].ssh.publicKey: must be an OpenSSH public key line, '<type> <base64> "
        "[comment]' with type ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "
        "ecdsa-sha2-nistp521, such as the contents of ~/.ssh/id_ed25519.pub",
    ),
    "public key of another type than it says": (
        clusters(ssh(publicKey="ssh-rsa " + ED25519.split()[1])),
        "azureml-infra:computes[0].ssh.publicKey: starts with ssh-rsa, but its key data is of type "
        "'ssh-ed25519': copy the whole .pub line",
    ),
    "private key pasted as the public key": (
        clusters(ssh(publicKey="-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----")),
        "azureml-infra:computes[0].ssh.publicKey: is a private key; give the public key instead (the .pub "
        "file), and never put a private key in config",
    ),
    "public SSH port without a public IP": (
        clusters(cluster(subnetId=SUBNET, nodePublicIp=False, ssh={"adminUserName": "azureuser", "publicKey": ED25519, "publicAccess": True})),
        "azureml-infra:computes[0].ssh.publicAccess: true needs nodePublicIp: true (nodes without a public "
        "IP have no public SSH port)",
    ),
    "identity with the wrong case": (
        clusters(cluster(identity="SystemAssigned")),
        "azureml-infra:computes[0].identity: must be none, systemAssigned, or {userAssigned: [<ARM ids "
        'of user-assigned identities>]} (got "SystemAssigned")',
    ),
    "user-assigned id of another type": (
        clusters(cluster(identity={"userAssigned": [IDENTITY, SUBNET]})),
        "azureml-infra:computes[0].identity.userAssigned[1]: is the id of a Microsoft.Network/"
        "virtualNetworks/subnets, not of a Microsoft.ManagedIdentity/userAssignedIdentities "
        f'(got "{SUBNET}")',
    ),
    "user-assigned id that is a name": (
        clusters(cluster(identity={"userAssigned": ["id-jobs"]})),
        "azureml-infra:computes[0].identity.userAssigned[0]: is not an ARM resource id; expected "
        "/subscriptions/<subscription-guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/"
        'userAssignedIdentities/<name> (got "id-jobs")',
    ),
    "empty user-assigned list": (
        clusters(cluster(identity={"userAssigned": []})),
        "azureml-infra:computes[0].identity.userAssigned: list should have at least 1 item after "
        "validation, not 0",
    ),
    "assigned user that is not a GUID": (
        instances(instance(assignedUserObjectId="alice@contoso.com")),
        "azureml-infra:computeInstances[0].assignedUserObjectId: must be a GUID such as "
        '00000000-0000-0000-0000-000000000000 (got "alice@contoso.com")',
    ),
    "instance without an assigned user": (
        instances({"name": "ci-analyst1", "vmSize": "STANDARD_DS3_V2"}),
        "azureml-infra:computeInstances[0].assignedUserObjectId: is required",
    ),
    "unknown cluster key": (
        clusters(cluster(maxNode=3)),
        "azureml-infra:computes[0].maxNode: unknown key; did you mean 'maxNodes'? (known keys: name, "
        "vmSize, minNodes, maxNodes, idleTimeBeforeScaleDown, priority, identity, subnetId, nodePublicIp, "
        "ssh, disableLocalAuth)",
    ),
    "computes that is not a list": (
        stack({"azureml-infra:computes": cluster()}),
        "azureml-infra:computes: input should be a valid list",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_prints_its_exact_problem_and_registers_nothing(case):
    config, expected = CASES[case]
    assert_refused(config, [expected])


def test_a_password_is_never_echoed_in_an_error():
    # Under the CLI, a secure: value inside the computes key arrives decrypted; the error that
    # refuses it must not print it.
    raw, secrets = config_from_yaml(clusters(ssh(passwordSecret="Hunter2isMyPassword")))
    secrets.add("azureml-infra:computes")
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, secrets, "dev")
    assert "Hunter2isMyPassword" not in str(caught.value)
    assert f"azureml-infra:computes: {SECRET_SETTINGS}" in str(caught.value)


def test_a_private_key_is_never_echoed_in_an_error():
    private = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE\n-----END OPENSSH PRIVATE KEY-----"
    text, run = config_error(clusters(ssh(publicKey=private)))
    assert "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE" not in text
    assert run.registrations == []


def test_every_compute_problem_is_reported_together():
    config = clusters(
        cluster(name="1cpu", minNodes=-1),
        cluster(name="gpu", priority="Spot"),
        **{"azureml-infra:computeInstances": [instance(assignedUserObjectId="alice")]},
    )
    assert [line.split(": ", 1)[0] for line in problems(config)] == [
        "azureml-infra:computes[0].name",
        "azureml-infra:computes[0].minNodes",
        "azureml-infra:computes[1].priority",
        "azureml-infra:computeInstances[0].assignedUserObjectId",
    ]


# --- accepted forms ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cpu-compute", "gpu", "cc", "cpu1", "A1", "cpu-compute-abcd", "gpu-a100x2"])
def test_valid_cluster_names(name):
    assert CLUSTER_NAME.violation(name) is None


@pytest.mark.parametrize("name", ["c", "cpu-compute-abcde", "1cpu", "-cpu", "cpu-", "cpu-1", "cpu_1", "cpu compute"])
def test_invalid_cluster_names(name):
    assert CLUSTER_NAME.violation(name) is not None


@pytest.mark.parametrize("name", ["ci-analyst1", "abc", "ci-data-scientist-alice1", "Notebook-VM"])
def test_valid_instance_names(name):
    assert INSTANCE_NAME.violation(name) is None


@pytest.mark.parametrize("name", ["ci", "ci-data-scientist-alice12", "ci-1", "9ci", "ci.alice"])
def test_invalid_instance_names(name):
    assert INSTANCE_NAME.violation(name) is not None


@pytest.mark.parametrize(
    "text,seconds",
    [("PT15M", 900), ("PT120S", 120), ("PT2H30M", 9000), ("P1D", 86400), ("P1DT12H", 129600), ("PT1H0M5S", 3605)],
)
def test_iso_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "PT15", "15M", "PT15m", "P1Y", "P1W", "PT1.5S", "-PT5M"])
def test_malformed_durations(text):
    assert parse_duration(text) is None


@pytest.mark.parametrize("key", [ED25519, RSA, ED25519.rsplit(" ", 1)[0]])
def test_openssh_public_keys_are_accepted(key):
    assert ssh_public_key_problem(key) is None


@pytest.mark.parametrize(
    "written,system_assigned,user_assigned,arm_type",
    [
        ("none", False, [], None),
        ("systemAssigned", True, [], "SystemAssigned"),
        ({"userAssigned": [IDENTITY]}, False, [IDENTITY], "UserAssigned"),
        ({"userAssigned": [IDENTITY], "systemAssigned": True}, True, [IDENTITY], "SystemAssigned,UserAssigned"),
    ],
)
def test_identity_forms(written, system_assigned, user_assigned, arm_type):
    identity = ComputeIdentity.model_validate(written)
    assert (identity.system_assigned, identity.user_assigned, identity.arm_type) == (
        system_assigned,
        user_assigned,
        arm_type,
    )


def test_cluster_defaults_are_the_secure_and_cheap_ones():
    raw, secrets = config_from_yaml(clusters({"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2}))
    parsed = parse_config(raw, secrets, "dev").computes[0]
    assert parsed.min_nodes == 0
    assert parsed.idle_time_before_scale_down == "PT120S"
    assert parsed.priority == "Dedicated"
    assert parsed.identity.arm_type == "SystemAssigned"
    assert parsed.subnet_id is None and parsed.ssh is None
    assert parsed.disable_local_auth is True


def test_instance_defaults():
    raw, secrets = config_from_yaml(instances(instance()))
    parsed = parse_config(raw, secrets, "dev").compute_instances[0]
    assert parsed.idle_time_before_shutdown == "PT60M"
    assert parsed.subnet_id is None
    assert parsed.disable_local_auth is True


def test_password_key_is_not_an_unknown_key():
    # The key a cluster names in passwordSecret is a known key of the stack, not a typo.
    raw, secrets = config_from_yaml(clusters(ssh(passwordSecret="cpuComputeAdminPassword"), secure={PASSWORD_KEY: "pw"}))
    parsed = parse_config(raw, secrets, "dev")
    assert parsed.computes[0].ssh.password_secret == "cpuComputeAdminPassword"
