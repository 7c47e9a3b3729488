"""Run the Pulumi program offline under the SDK's mocks and record what the engine receives.

One harness for the offline plan and the tests:
- ``stack_config(path)`` reads Pulumi.yaml and a stack file (Pulumi.<stack>.yaml, of the
  project or elsewhere) the way the CLI hands config to a program (objects as JSON text),
  with ``secure:`` values replaced by a placeholder and listed as secret keys: nothing is
  ever decrypted.
- ``run_program(...)`` runs ``__main__.py`` in a fresh root stack and returns every
  registration (type, logical name, parent, inputs as sent on the wire, dependencies,
  options) and the stack outputs, or the error the program stopped with.

Mock resources get deterministic ARM-style ids and the computed properties the program
reads (principal ids, endpoints). With ``preview=True`` ids and computed properties stay
unknown, as in a real ``pulumi preview`` of a first deployment.
"""

from __future__ import annotations

import gc
import json
import re
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings

from azureml_infra.facts import ARM_TYPES, PROJECT, SECRET_PLACEHOLDER, resource_id

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
TENANT_ID = "11111111-1111-1111-1111-111111111111"
UNKNOWN = rpc.UNKNOWN
_SECRET_SIG = (rpc._special_sig_key, rpc._special_secret_sig)


# --- stack files -----------------------------------------------------------------------


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _mask_secure(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER
        return {k: _mask_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_secure(v) for v in value]
    return value


def _to_config_text(value: Any) -> str:
    """How the CLI passes a config value to the program: strings as-is, the rest as JSON."""
    if isinstance(value, str):
        return value
    # A date YAML reads unquoted (startDate: 2027-01-01) goes as the text it was written as.
    return json.dumps(value, default=str)


def stack_file(stack: str, project_dir: Path = ROOT) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def config_from_yaml(
    stack_config: Mapping[str, Any], project_config: Mapping[str, Any] | None = None
) -> tuple[dict[str, str], set[str]]:
    """Raw config (key -> text) and secret keys from a stack file's ``config:`` map."""
    raw: dict[str, str] = {}
    secrets: set[str] = set()
    for key, decl in (project_config or {}).items():
        # Pulumi.yaml declarations: a value/default applies to every stack.
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(decl, dict) and ("value" in decl or "default" in decl):
            raw[full] = _to_config_text(decl.get("value", decl.get("default")))
    for key, value in (stack_config or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if _has_secure(value):
            secrets.add(full)
        raw[full] = _to_config_text(_mask_secure(value))
    return raw, secrets


def stack_environments(path: Path) -> list[str]:
    """The Pulumi ESC environments a stack file imports (its top-level ``environment:``): a list
    of names, or an inline definition, whose ``imports`` are named. Only the Pulumi CLI opens
    them, with the Pulumi Cloud backend (pulumi/pulumi pkg/cmd/pulumi/config/io.go,
    openStackEnv): offline, keys set there alone are not in the config."""
    text = path.read_text()
    if not re.search(r"^environment\s*:", text, re.MULTILINE):
        return []  # most stack files: no need to parse the YAML (the plan asks on every call)
    environment = (yaml.safe_load(text) or {}).get("environment")
    if isinstance(environment, list):
        return [str(name) for name in environment]
    if isinstance(environment, dict):
        return [str(name) for name in environment.get("imports") or []] or ["(an inline definition)"]
    return []


def stack_config(path: Path, project_dir: Path = ROOT) -> tuple[dict[str, str], set[str]]:
    """Raw config and secret keys of the stack file ``path`` over ``project_dir``'s Pulumi.yaml."""
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name} in {path.parent}")
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    document = yaml.safe_load(path.read_text()) or {}
    return config_from_yaml(document.get("config") or {}, project.get("config") or {})


# --- mocks -----------------------------------------------------------------------------


def _guid_from(text: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, text))


def _storage_computed(inputs: dict, name: str) -> dict:
    return {"primaryEndpoints": {s: f"https://{name}.{s}.core.windows.net/" for s in ("blob", "dfs", "file")}}


def _vault_computed(inputs: dict, name: str) -> dict:
    return {"properties": {**inputs.get("properties", {}), "vaultUri": f"https://{name}.vault.azure.net/"}}


def _identity_computed(inputs: dict, name: str) -> dict:
    identity = inputs.get("identity")
    if not identity or identity.get("type") in (None, "None"):
        return {}
    computed = {**identity, "tenantId": TENANT_ID}
    if "SystemAssigned" in identity.get("type", ""):
        computed["principalId"] = _guid_from(f"principal/{name}")
    if isinstance(identity.get("userAssignedIdentities"), list):
        # The SDK takes a list of ids; Azure returns a map id -> {principalId, clientId}.
        computed["userAssignedIdentities"] = {
            i: {"principalId": _guid_from(f"principal/{i}"), "clientId": _guid_from(f"client/{i}")}
            for i in identity["userAssignedIdentities"]
        }
    return {"identity": computed}


def _user_assigned_identity_computed(inputs: dict, name: str) -> dict:
    # The same principal and client ids a workspace using this identity reports for it.
    identity_id = arm_id("azure-native:managedidentity:UserAssignedIdentity", inputs, name)
    return {
        "principalId": _guid_from(f"principal/{identity_id}"),
        "clientId": _guid_from(f"client/{identity_id}"),
        "tenantId": TENANT_ID,
    }


def _vnet_computed(inputs: dict, name: str) -> dict:
    # Inline subnets come back with their ids (the program reads them from the VNet's output).
    vnet_id = arm_id("azure-native:network:VirtualNetwork", inputs, name)
    return {"subnets": [{**s, "id": f"{vnet_id}/subnets/{s.get('name')}"} for s in inputs.get("subnets") or []]}


def _workspace_computed(inputs: dict, name: str) -> dict:
    return {
        **_identity_computed(inputs, name),
        "workspaceId": _guid_from(f"workspace/{name}"),
        "mlFlowTrackingUri": f"azureml://{inputs.get('location')}.api.azureml.ms/mlflow/v1.0/{name}",
    }


# Pulumi type -> computed properties a real create would return (never in preview).
COMPUTED: dict[str, Callable[[dict, str], dict]] = {
    "azure-native:storage:StorageAccount": _storage_computed,
    "azure-native:keyvault:Vault": _vault_computed,
    "azure-native:containerregistry:Registry": lambda i, n: {"loginServer": f"{n.lower()}.azurecr.io"},
    "azure-native:machinelearningservices:Workspace": _workspace_computed,
    "azure-native:machinelearningservices:Compute": _identity_computed,
    "azure-native:network:VirtualNetwork": _vnet_computed,
    "azure-native:managedidentity:UserAssignedIdentity": _user_assigned_identity_computed,
    "azure-native:containerservice:ManagedCluster": lambda i, n: {
        **_identity_computed(i, n),
        "fqdn": f"{i.get('dnsPrefix', n)}.hcp.{i.get('location')}.azmk8s.io",
    },
    "azure-native:kubernetesconfiguration:Extension": _identity_computed,
    "azure-native:cognitiveservices:Account": lambda i, n: {
        **_identity_computed(i, n),
        "properties": {**(i.get("properties") or {}),
                       "endpoint": f"https://{(i.get('properties') or {}).get('customSubDomainName', n)}"
                                   ".cognitiveservices.azure.com/"},
    },
    "azure-native:cognitiveservices:Project": _identity_computed,
    "azure-native:machinelearningservices:Registry": lambda i, n: {
        **_identity_computed(i, n),
        "discoveryUrl": f"https://{i.get('location')}.api.azureml.ms/registrymanagement/v1.0/registries/{n}/discovery",
    },
}

# Invoke token -> result.
INVOKES: dict[str, Callable[[dict], dict]] = {
    "azure-native:authorization:getClientConfig": lambda a: {
        "clientId": "22222222-2222-2222-2222-222222222222",
        "objectId": "33333333-3333-3333-3333-333333333333",
        "subscriptionId": SUBSCRIPTION_ID,
        "tenantId": TENANT_ID,
    },
    "azure-native:storage:listStorageAccountKeys": lambda a: {
        "keys": [{"keyName": "key1", "permissions": "FULL", "value": "mock-account-key"}]
    },
}


def _plain(value: Any) -> Any:
    """Inputs with secrets unwrapped (for building mock state)."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG[0]) == _SECRET_SIG[1]:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def azure_name(type_: str, inputs: Mapping[str, Any], logical_name: str) -> str | None:
    """The Azure name among the inputs (facts.ARM_TYPES' name input, else ``name``), if known."""
    arm = ARM_TYPES.get(type_)
    value = _plain(inputs.get(arm.name_input if arm and arm.name_input else "name"))
    return value if isinstance(value, str) and value != UNKNOWN else None


def arm_id(type_: str, inputs: Mapping[str, Any], logical_name: str) -> str:
    """The ARM id a real create would return (facts.ARM_TYPES' path), else a mock one."""
    plain = _plain(dict(inputs))
    group = plain.get("resourceGroupName", "rg")
    try:
        return resource_id(type_, SUBSCRIPTION_ID, group, plain)
    except (KeyError, IndexError):
        mock = f"mock/{type_.replace(':', '.')}/{logical_name}"
        return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/{mock}"


class AzureMocks(pulumi.runtime.Mocks):
    def __init__(self, preview: bool):
        self.preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        name = azure_name(args.typ, inputs, args.name) or args.name
        state = {**inputs, "name": name}
        computed = COMPUTED.get(args.typ)
        extra = computed(_plain(inputs), name) if computed else {}
        if self.preview:
            # As in a real preview of a create: what Azure computes is not known yet.
            return "", {k: v for k, v in state.items() if k not in extra}
        state.update(extra)
        return arm_id(args.typ, inputs, args.name), state

    def call(self, args: pulumi.runtime.MockCallArgs):
        handler = INVOKES.get(args.token)
        return handler(_plain(dict(args.args))) if handler else {}


# --- recording -------------------------------------------------------------------------


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    delete_before_replace: bool
    additional_secret_outputs: list[str]
    aliases: list[Any]
    import_id: str
    # The aliases as sent (protobuf Alias messages), for the URN snapshot guard, which reads
    # them with alias_specs (tools/urn_snapshot.py).
    alias_messages: list[Any] = field(default_factory=list)
    # Input paths whose change replaces the resource (ResourceOptions.replace_on_changes).
    replace_on_changes: list[str] = field(default_factory=list)

    @property
    def alias_specs(self) -> list[dict[str, Any]]:
        """The aliases as data: {"urn": ...} or {"spec": {name, type, parentUrn | noParent, ...}}."""
        return [json_format.MessageToDict(a) for a in self.alias_messages]

    @property
    def azure_name(self) -> str | None:
        return azure_name(self.type, self.inputs, self.name)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=dict(inputs),
                    dependencies=list(request.dependencies),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    ignore_changes=list(request.ignoreChanges),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    aliases=[str(a) for a in request.aliases],
                    import_id=request.importId,
                    alias_messages=list(request.aliases),
                    replace_on_changes=list(request.replaceOnChanges),
                )
            )
        return response


@dataclass
class StackOutput:
    value: Any
    known: bool
    secret: bool


@dataclass
class Run:
    stack: str
    preview: bool
    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, StackOutput] = field(default_factory=dict)
    program: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    # The stack file's Pulumi ESC environments, and the config keys the run could not resolve
    # without them (planned with a placeholder secret): tools.plan.plan_stack_file.
    environments: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)

    def record(self) -> Run:
        """What the run recorded, without ``program``: the module's live objects hold the run's
        whole object graph (resources, outputs, futures), which a run kept for later does not need."""
        return replace(self, program={})


def run_program(
    stack: str = "dev",
    raw_config: Mapping[str, str] | None = None,
    secret_keys: set[str] | None = None,
    preview: bool = False,
    program: Path = ROOT / "__main__.py",
    raise_errors: bool = True,
) -> Run:
    """Run the program once, in a fresh root stack, and return what it registered.

    ``raw_config`` defaults to the stack's file. With ``raise_errors=False`` an exception
    from the program is returned in ``Run.error`` together with whatever was registered.
    """
    if raw_config is None:
        raw_config, secret_keys = stack_config(stack_file(stack))
    run = Run(stack=stack, preview=preview)

    async def main() -> None:
        run.program = runpy.run_path(str(program), run_name="__main__")
        root = settings.get_root_resource()
        await _resolve_outputs(root.outputs, run)

    return _run(run, main, raw_config, secret_keys or set(), raise_errors)


def run_component(
    build: Callable[[], Mapping[str, Any]],
    stack: str = "test",
    preview: bool = False,
    raise_errors: bool = True,
) -> Run:
    """Run ``build`` (which makes one component from hand-made Args) under the same mocks as the
    program, in a fresh root stack with no config; what it returns (name -> Output or value)
    comes back resolved in ``Run.outputs``, and the component itself in ``Run.program``."""
    run = Run(stack=stack, preview=preview)

    async def main() -> None:
        returned = build()
        run.program = {"returned": returned}
        await _resolve_outputs(returned, run)

    return _run(run, main, {}, set(), raise_errors)


async def _resolve_outputs(values: Mapping[str, Any], run: Run) -> None:
    for key, value in values.items():
        out = pulumi.Output.from_input(value)
        run.outputs[key] = StackOutput(await out.future(), await out.is_known(), await out.is_secret())


def _run(
    run: Run, main: Callable[[], Any], raw_config: Mapping[str, str], secret_keys: set[str], raise_errors: bool
) -> Run:
    monitor = RecordingMonitor(AzureMocks(run.preview))
    settings.ROOT.set(None)  # a new root Stack each run: no outputs left from the last one
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=run.stack, preview=run.preview, monitor=monitor)
    pulumi.runtime.set_all_config(dict(raw_config), sorted(secret_keys))
    # The SDK keeps every Output, task and future of a run alive until the run ends, so the
    # cycle collector's passes over the growing heap free next to nothing, yet they took about
    # 40 % of a 200-datastore plan (docs/benchmarks.md). Paused for the run only; the garbage
    # it leaves is collected once it is back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        pulumi.runtime.test(main)()
    except Exception as exc:  # noqa: BLE001 - handed back to the caller
        run.error = exc
    finally:
        if collecting:
            gc.enable()
    run.registrations = list(monitor.registrations)
    if run.error is not None and raise_errors:
        raise run.error
    return run


def is_secret_value(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SECRET_SIG[0]) == _SECRET_SIG[1]
