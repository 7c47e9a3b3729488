"""Stop a pipeline early when a stack's secrets provider cannot be opened in CI.

    python3 pipelines/stack_secrets.py --stack dev        # Pulumi.dev.yaml, the backend from the environment
    python3 pipelines/stack_secrets.py --stack-file examples/Pulumi.datastores.yaml --backend azblob://state

With a self-managed backend (``azblob://``, ``PULUMI_BACKEND_URL`` or Azure DevOps'
``AZURE_STORAGE_CONTAINER``), the Pulumi CLI loads the stack's secrets manager on every preview
and up from the stack file's top-level ``secretsprovider:`` and ``encryptedkey:`` (a cloud key
such as Azure Key Vault) or ``encryptionsalt:`` (a passphrase). A stack file with none of them
falls back to the backend's default, the passphrase, and stops with "passphrase must be set with
PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables"
(pulumi/pulumi pkg/cmd/pulumi/stack/secrets.go, SecretsManagerLoader.GetSecretsManager;
pkg/secrets/passphrase/manager.go). A cloud provider line without ``encryptedkey:`` makes the
CLI wrap a new data key on every run (pkg/secrets/cloud/manager.go, NewCloudSecretsManager),
which cannot open the ``secure:`` values written with the old one.

``pulumi stack init <stack> --secrets-provider=azurekeyvault://...`` writes those lines into the
stack file; they are committed with it (docs/delivery.md, step 1). The Pulumi Cloud backend
keeps its own secrets manager and needs none of them.

Standard library only: it runs before any venv exists. Exit 0 when CI can open the stack's
secrets, 1 (with the instruction) when it cannot, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Backends that keep the state in storage the team owns: the CLI needs the stack file's lines.
SELF_MANAGED = ("azblob://", "s3://", "gs://", "file://")
PROVIDER_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")
_TOP_LEVEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):\s*(.*?)\s*$")
_SECURE = re.compile(r"(^|[\s{,])secure:\s*\S")
DOCS = "docs/delivery.md, 1. State backend and secrets provider"


@dataclass(frozen=True)
class StackFile:
    """What the check reads of a stack file: its top-level provider lines and whether it holds secrets."""

    path: Path
    lines: dict[str, str]
    has_secure_values: bool

    @classmethod
    def read(cls, path: Path) -> StackFile:
        lines: dict[str, str] = {}
        secure = False
        for line in path.read_text().splitlines():
            if line.lstrip().startswith("#"):
                continue
            match = _TOP_LEVEL.match(line)
            if match and match.group(1) in PROVIDER_KEYS:
                lines[match.group(1)] = match.group(2).strip("'\"")
            if _SECURE.search(line):
                secure = True
        return cls(path, lines, secure)

    @property
    def provider(self) -> str:
        return self.lines.get("secretsprovider", "")

    @property
    def cloud_provider(self) -> bool:
        """A key management service (azurekeyvault://, awskms://, ...), not a passphrase."""
        return "://" in self.provider


def backend_of(env: dict[str, str]) -> str:
    """The state backend a pipeline step uses, as the CLI and the Pulumi@1 task would pick it."""
    if env.get("PULUMI_BACKEND_URL"):
        return env["PULUMI_BACKEND_URL"]
    if env.get("AZURE_STORAGE_CONTAINER"):  # Pulumi@1 logs in to azblob://<container> then
        return f"azblob://{env['AZURE_STORAGE_CONTAINER']}"
    return ""  # the Pulumi Cloud backend (PULUMI_ACCESS_TOKEN)


def is_self_managed(backend: str) -> bool:
    return backend.startswith(SELF_MANAGED)


def committed_provider_problems(stack: StackFile) -> list[str]:
    """What is wrong with the provider lines of a stack file that is committed, whatever the backend:
    ``secure:`` values with nothing that decrypts them."""
    if stack.has_secure_values and not (stack.provider or stack.lines.get("encryptionsalt")):
        return [
            f"{stack.path.name} has secure: values but no secretsprovider: (or encryptionsalt:) line: "
            "the secrets cannot be decrypted from the repository alone"
        ]
    if stack.lines.get("encryptedkey") and not stack.provider:
        return [f"{stack.path.name} has an encryptedkey: line but no secretsprovider: line"]
    return []


def ci_problems(stack: StackFile, backend: str, env: dict[str, str]) -> list[str]:
    """Why the CLI in a pipeline could not open this stack's secrets manager (empty: it can)."""
    problems = committed_provider_problems(stack)
    if not is_self_managed(backend):
        return problems  # Pulumi Cloud: its own secrets manager
    name = stack.path.name
    if stack.cloud_provider:
        if not stack.lines.get("encryptedkey"):
            problems.append(
                f"{name} names secretsprovider: {stack.provider} but has no encryptedkey: line: the CLI would "
                "wrap a new data key on every run; commit the encryptedkey: line that `pulumi stack init` wrote"
            )
    elif stack.lines.get("encryptionsalt") or stack.provider == "passphrase":
        if not (env.get("PULUMI_CONFIG_PASSPHRASE") or env.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
            problems.append(
                f"{name} uses the passphrase secrets provider, and this pipeline sets no "
                "PULUMI_CONFIG_PASSPHRASE: move the stack to the key vault provider "
                "(pulumi stack change-secrets-provider)"
            )
    else:
        problems.append(
            f"{name} has no secretsprovider: and encryptedkey: lines, so with the state in {backend} the "
            "Pulumi CLI would fall back to a passphrase and stop"
        )
    return problems


def instruction(stack_name: str) -> str:
    return (
        f"Create the stack once from a workstation with the key vault secrets provider and commit what it "
        f"writes into Pulumi.{stack_name}.yaml (the secretsprovider: and encryptedkey: lines):\n"
        f"  pulumi stack init {stack_name} --secrets-provider="
        '"azurekeyvault://<vault>.vault.azure.net/keys/<key>"\n'
        f"  (an existing stack: pulumi stack change-secrets-provider --stack {stack_name} "
        '"azurekeyvault://<vault>.vault.azure.net/keys/<key>")\n'
        f"See {DOCS}."
    )


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipelines/stack_secrets.py", description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="Pulumi.<stack>.yaml of the project")
    source.add_argument("--stack-file", type=Path, help="this stack file")
    parser.add_argument("--backend", help="the state backend URL (default: from the environment)")
    args = parser.parse_args(argv)
    env = dict(os.environ) if env is None else env
    path = args.stack_file or ROOT / f"Pulumi.{args.stack}.yaml"
    if not path.exists():
        print(f"error: no stack file {path}", file=sys.stderr)
        return 2
    stack_name = args.stack or path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    backend = args.backend if args.backend is not None else backend_of(env)
    problems = ci_problems(StackFile.read(path), backend, env)
    if not problems:
        shown = backend or "Pulumi Cloud"
        print(f"{path.name}: the secrets provider can be opened here (state backend: {shown})")
        return 0
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(instruction(stack_name), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
