"""Write a stack file from the legacy ARM templates' parameter files (`make adopt`).

    python -m tools.adopt --arm <folder> --env dev --stack dev [--rg <group>] [--compute plain|vnet]
                          [--prefix <p>] [--out-dir <dir>] [--force]

Reads a folder laid out like the legacy ``arm-templates/``: one folder per resource, each with a
``template.json`` and its ``parameters.<env>.json`` (the compute's VNet variant as
``template-vnet.json`` with ``parameters-vnet.<env>.json``). Writes ``Pulumi.<stack>.yaml`` with
the names and settings those templates deployed and ``azureml-infra:adopt: true``, so that the
first ``pulumi up`` imports them (docs/migration.md), and prints what is left to do.

- Placeholders in the parameter files (``<...>``, ``xxxx`` ids, empty values) are reported with
  the file and the parameter and never copied.
- A password parameter is never copied: the stack file names a config key instead
  (``ssh.passwordSecret``), to set with ``pulumi config set --secret``.
- Legacy settings whose change could break a consumer are kept, each with a ``# review:``
  comment saying what to check before changing it.
- A folder not laid out as expected, or a legacy setting this program cannot adopt without
  replacing the resource, stops the tool with a clear error; no file is written.

Exit status: 0 written (placeholders, if any, are listed as things to do), 2 refused.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azureml_infra.naming import ENVIRONMENT_RE, PREFIX_RE, RULES

ROOT = Path(__file__).resolve().parent.parent

STORAGE = "Microsoft.Storage/storageAccounts"
REGISTRY = "Microsoft.ContainerRegistry/registries"
INSIGHTS = "Microsoft.Insights/components"
VAULT = "Microsoft.KeyVault/vaults"
WORKSPACE = "Microsoft.MachineLearningServices/workspaces"
COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes"
REQUIRED = {STORAGE: "storage", REGISTRY: "container registry", INSIGHTS: "application insights",
            VAULT: "key vault", WORKSPACE: "ML workspace"}
# The storage settings this program can manage for a workspace's storage (config/workspace.py).
STORAGE_SKUS = ("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS")

_PLACEHOLDER = re.compile(r"^<.*>$|(^|/)(x{3,}|y{3,}|z{3,}|s{4,})(/|$)", re.IGNORECASE)
_PARAM = re.compile(r"^\[parameters\('([^']+)'\)\]$")


class Refused(Exception):
    """The folder cannot be converted; nothing is written."""


@dataclass
class Placeholder:
    file: str
    parameter: str
    value: Any
    todo: str

    def text(self) -> str:
        shown = "empty" if self.value in ("", None) else f"the placeholder {json.dumps(self.value)}"
        return f"{self.file}: parameter '{self.parameter}' is {shown}, not copied; {self.todo}"


@dataclass
class Template:
    """One legacy deployment: a template's resource and the parameter file it was deployed with."""

    resource: dict[str, Any]
    parameters: dict[str, Any]
    parameters_file: str
    placeholders: list[Placeholder] = field(default_factory=list)

    def value(self, raw: Any, todo: str = "set it in the stack file") -> Any:
        """A template value with ``[parameters('x')]`` resolved; None for a placeholder (reported)."""
        match = _PARAM.match(raw) if isinstance(raw, str) else None
        if not match:
            return raw
        name = match.group(1)
        if name not in self.parameters:
            self.placeholders.append(Placeholder(self.parameters_file, name, None, todo))
            return None
        value = self.parameters[name]
        if value in ("", None) or (isinstance(value, str) and _PLACEHOLDER.search(value)):
            self.placeholders.append(Placeholder(self.parameters_file, name, value, todo))
            return None
        return value

    def param_name(self, raw: Any) -> str | None:
        match = _PARAM.match(raw) if isinstance(raw, str) else None
        return match.group(1) if match else None


def _load_json(path: Path, folder: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise Refused(f"{path.relative_to(folder)} is not valid JSON: {exc}") from exc


def _parameter_values(path: Path, folder: Path) -> dict[str, Any]:
    document = _load_json(path, folder)
    params = document.get("parameters") if isinstance(document, dict) else None
    if not isinstance(params, dict):
        raise Refused(f"{path.relative_to(folder)} has no \"parameters\" object: is it an ARM parameter file?")
    return {k: (v.get("value") if isinstance(v, dict) else None) for k, v in params.items()}


def read_templates(folder: Path, env: str, compute_variant: str | None) -> dict[str, Template]:
    """Resource type -> its legacy deployment, from a folder laid out like arm-templates/."""
    if not folder.is_dir():
        raise Refused(f"{folder} is not a folder; give ARM=<the legacy arm-templates folder>")
    found: dict[str, Template] = {}
    computes: dict[str, Template] = {}
    for template_path in sorted(folder.glob("*/template*.json")):
        variant = "vnet" if template_path.name == "template-vnet.json" else "plain"
        if template_path.name not in ("template.json", "template-vnet.json"):
            continue
        document = _load_json(template_path, folder)
        resources = document.get("resources") if isinstance(document, dict) else None
        if not isinstance(resources, list):
            raise Refused(f"{template_path.relative_to(folder)} has no \"resources\" list: is it an ARM template?")
        param_name = f"parameters{'-vnet' if variant == 'vnet' else ''}.{env}.json"
        param_path = template_path.parent / param_name
        for resource in resources:
            type_ = resource.get("type") if isinstance(resource, dict) else None
            if type_ not in (*REQUIRED, COMPUTE):
                continue
            if not param_path.exists():
                if type_ == COMPUTE:
                    continue  # that variant was not deployed in this environment
                raise Refused(
                    f"{template_path.parent.relative_to(folder)}/ has {template_path.name} but no {param_name}: "
                    f"the {REQUIRED[type_]} template needs its parameters for environment '{env}'"
                )
            template = Template(resource, _parameter_values(param_path, folder), f"{param_path.relative_to(folder)}")
            if type_ == COMPUTE:
                computes[variant] = template
            elif type_ in found:
                raise Refused(f"two templates deploy a {type_}: {found[type_].parameters_file} and {template.parameters_file}")
            else:
                found[type_] = template
    missing = [f"{what} ({type_})" for type_, what in REQUIRED.items() if type_ not in found]
    if missing:
        raise Refused(
            f"{folder} is not laid out like the legacy arm-templates/ folder: no template.json with "
            f"parameters.{env}.json for {', '.join(missing)} (expected one folder per resource, "
            "e.g. storage/template.json and storage/parameters.<env>.json)"
        )
    if computes:
        chosen = compute_variant or ("plain" if "plain" in computes else "vnet")
        if chosen not in computes:
            raise Refused(f"--compute {chosen}: no {chosen} compute template with parameters for '{env}' in {folder}")
        found[COMPUTE] = computes[chosen]
    elif compute_variant:
        raise Refused(f"--compute {compute_variant}: {folder} has no compute template with parameters for '{env}'")
    return found


# --- the legacy settings ---------------------------------------------------------------


@dataclass
class Line:
    """One line of the stack file: text, and an optional review comment."""

    text: str
    comment: str = ""


def _name(template: Template, rule: str, what: str) -> str | None:
    name = template.value(template.resource.get("name"), f"set workspace's {what} name to the deployed one")
    if name is None:
        return None
    problem = RULES[rule].violation(name)
    if problem:
        raise Refused(f"{template.parameters_file}: {what} name {name!r}: {problem}; this program cannot adopt it")
    return name


def _location(templates: dict[str, Template]) -> str:
    found = {}
    for template in templates.values():
        location = template.resource.get("location")
        if isinstance(location, str) and location.startswith("[resourceGroup()"):
            continue
        value = template.value(location, "set azure-native:location to the region it was deployed in")
        if value:
            found.setdefault(str(value).lower().replace(" ", ""), template.parameters_file)
    if len(found) > 1:
        raise Refused(
            "the legacy resources are in more than one region ("
            + ", ".join(f"{loc} in {file}" for loc, file in found.items())
            + "); this program puts all of them in azure-native:location, and a region cannot change without "
            "replacing the resource"
        )
    # The pipeline deployed every environment in westeurope (seed README), also the group.
    return next(iter(found), "westeurope")


def _common_prefix(names: list[str]) -> str:
    letters = [re.sub(r"[^a-z0-9]", "", n.lower()) for n in names if n]
    if not letters:
        return ""
    prefix = letters[0]
    for name in letters[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    match = re.match(r"[a-z][a-z0-9]*", prefix)
    return match.group(0)[:10] if match else ""


@dataclass
class Conversion:
    lines: list[Line]
    placeholders: list[Placeholder]
    password_key: str | None
    names: dict[str, str | None]


def _q(value: Any) -> str:
    """A YAML scalar; JSON quoting is valid YAML for strings that need it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text if re.fullmatch(r"[A-Za-z0-9_./:-]+", text) and text[0] not in "-:" else json.dumps(text)


def convert(templates: dict[str, Template], env: str, resource_group: str | None, prefix: str | None) -> Conversion:
    storage, registry = templates[STORAGE], templates[REGISTRY]
    insights, vault, workspace = templates[INSIGHTS], templates[VAULT], templates[WORKSPACE]
    if not ENVIRONMENT_RE.fullmatch(env):
        raise Refused(f"ENV={env!r}: an environment is 1-8 lowercase letters or digits starting with a letter")

    names = {
        "storage": _name(storage, "storage_account", "storage account"),
        "registry": _name(registry, "container_registry", "container registry"),
        "insights": _name(insights, "application_insights", "Application Insights"),
        "vault": _name(vault, "key_vault", "key vault"),
        "workspace": _name(workspace, "ml_workspace", "workspace"),
    }
    # The workspace template links the other four by name: they must be the ones deployed.
    links = {"storageAccountName": "storage", "keyVaultName": "vault",
             "applicationInsightsName": "insights", "containerRegistryName": "registry"}
    for parameter, key in links.items():
        linked = workspace.parameters.get(parameter)
        if linked and names[key] and linked != names[key] and not _PLACEHOLDER.search(str(linked)):
            raise Refused(
                f"{workspace.parameters_file}: {parameter} is {linked!r}, but the {key} template deployed "
                f"{names[key]!r}: a workspace cannot be re-pointed at another {key}; fix the parameter files first"
            )

    # Storage: SKU, kind and tier as deployed; what cannot change in place is refused.
    sku = storage.value((storage.resource.get("sku") or {}).get("name"))
    kind = storage.value(storage.resource.get("kind"))
    props = storage.resource.get("properties") or {}
    tier = storage.value(props.get("accessTier"))
    if kind and kind != "StorageV2":
        raise Refused(
            f"{storage.parameters_file}: kind {kind!r}: this program manages a workspace's storage as StorageV2 "
            "only, and adopting another kind would replace the account and its data. Upgrade it in place first "
            f"(one-way, keeps the data): az storage account update -g <group> -n {names['storage']} "
            "--set kind=StorageV2 --access-tier Hot; then run make adopt again"
        )
    if sku and sku not in STORAGE_SKUS:
        raise Refused(
            f"{storage.parameters_file}: SKU {sku!r} cannot be a workspace's storage here "
            f"({', '.join(STORAGE_SKUS)}), and Azure cannot change a premium account to standard in place"
        )
    if props.get("isHnsEnabled") is True:
        raise Refused(
            f"{storage.parameters_file}: a hierarchical namespace cannot be a workspace's default storage, "
            "and Azure cannot turn it off: adopt the workspace with storageAccount.id instead"
        )
    https = storage.value(props.get("supportsHttpsTrafficOnly", True))

    reg_sku = registry.value((registry.resource.get("sku") or {}).get("name"))
    admin_user = bool(registry.value((registry.resource.get("properties") or {}).get("adminUserEnabled", False)))
    vault_props = vault.resource.get("properties") or {}
    vault_sku = vault.value((vault_props.get("sku") or {}).get("name"))
    template_deployment = bool(vault.value(vault_props.get("enabledForTemplateDeployment", False)))
    rbac = bool(vault.value(vault_props.get("enableRbacAuthorization", False)))
    purge = bool(vault.value(vault_props.get("enablePurgeProtection", False)))

    location = _location(templates)
    group = resource_group or f"mlopsexample-{env}"
    problem = RULES["resource_group"].violation(group)
    if problem:
        raise Refused(f"RG={group!r}: {problem}")
    prefix = prefix or _common_prefix([n for n in names.values() if n])
    if not PREFIX_RE.fullmatch(prefix or ""):
        raise Refused(
            f"cannot derive a prefix from the legacy names (got {prefix!r}); give PREFIX=<2-10 lowercase "
            "letters/digits> (it names only the resources the legacy templates did not have, e.g. Log Analytics)"
        )

    L = Line
    lines = [
        L("config:"),
        L(f"  azure-native:location: {_q(location)}"),
        L(f"  azureml-infra:prefix: {_q(prefix)}", "names only what the legacy templates did not deploy (Log Analytics)"),
        L(f"  azureml-infra:environment: {_q(env)}"),
        L("  azureml-infra:adopt: true", "first `pulumi up` imports the legacy resources; remove after it (docs/migration.md)"),
        L("  azureml-infra:resourceGroup:"),
        L(f"    name: {_q(group)}", "" if resource_group else "the legacy pipeline's group: mlopsexample-<env>"),
        L("  azureml-infra:workspace:"),
    ]
    if names["workspace"]:
        lines.append(L(f"    name: {_q(names['workspace'])}"))
    lines.append(L("    storageAccount:"))
    if names["storage"]:
        lines.append(L(f"      name: {_q(names['storage'])}"))
    lines += [L(f"      sku: {_q(sku)}")] if sku else []
    lines += [L(f"      kind: {_q(kind)}")] if kind else []
    lines += [L(f"      accessTier: {_q(tier)}")] if tier else []
    if https is False:
        lines.append(L("      httpsOnly: false", "review: plain HTTP is accepted as deployed; set true once no client uses it"))
    lines += [
        L("      allowBlobPublicAccess: true",
          "review: anonymous blob reads were allowed (not set in the template); set false once no consumer reads anonymously"),
        L("      minTlsVersion: TLS1_2",
          "review: the legacy account accepted TLS 1.0/1.1 (not set); clients older than TLS 1.2 are refused after the first up"),
        L("    keyVault:"),
    ]
    if names["vault"]:
        lines.append(L(f"      name: {_q(names['vault'])}"))
    lines += [L(f"      sku: {_q(vault_sku)}")] if vault_sku else []
    lines += [
        L(f"      authorization: {'rbac' if rbac else 'accessPolicies'}",
          "" if rbac else "review: kept as deployed; rbac revokes every access policy, the workspace's included - grant roles first"),
        L(f"      purgeProtection: {_q(purge)}",
          "" if purge else "review: off as deployed; turning it on cannot be undone"),
        L("      softDeleteRetentionInDays: 90", "Azure's default when the vault was made; Azure refuses to change it"),
    ]
    if template_deployment:
        lines.append(L("      enabledForTemplateDeployment: true",
                       "review: ARM deployments may read its secrets; set false if no template references this vault"))
    lines.append(L("    applicationInsights:"))
    if names["insights"]:
        lines.append(L(f"      name: {_q(names['insights'])}",
                       "review: classic; the first up makes it workspace-based (in place, one-way, same connection string)"))
    lines.append(L("    containerRegistry:"))
    if names["registry"]:
        lines.append(L(f"      name: {_q(names['registry'])}"))
    lines += [L(f"      sku: {_q(reg_sku)}")] if reg_sku else []
    lines.append(L(f"      adminUserEnabled: {_q(admin_user)}",
                   "review: kept as deployed; docker logins and pull secrets that use its password break when it is off"
                   if admin_user else ""))

    password_key = None
    if COMPUTE in templates:
        compute_lines, password_key = _compute(templates[COMPUTE], names["workspace"])
        lines += compute_lines
    return Conversion(lines, [p for t in templates.values() for p in t.placeholders], password_key, names)


def _compute(template: Template, workspace_name: str | None) -> tuple[list[Line], str | None]:
    resource = template.resource
    raw_name = resource.get("name", "")
    # "[concat(parameters('workspaceName'), '/', parameters('clusterName'))]"
    params = re.findall(r"parameters\('([^']+)'\)", raw_name)
    name = template.value(f"[parameters('{params[-1]}')]") if params else None
    if len(params) == 2:
        parent = template.value(f"[parameters('{params[0]}')]")
        if parent and workspace_name and parent != workspace_name:
            raise Refused(
                f"{template.parameters_file}: the compute belongs to workspace {parent!r}, "
                f"but the workspace template deployed {workspace_name!r}"
            )
    outer = resource.get("properties") or {}
    if outer.get("computeType") != "AmlCompute":
        raise Refused(f"{template.parameters_file}: only AmlCompute clusters can be adopted")
    inner = outer.get("properties") or {}
    scale = inner.get("scaleSettings") or {}
    L = Line
    lines = [L("  azureml-infra:computes:")]
    lines.append(L(f"    - name: {_q(name)}") if name else L("    - name: cpu-compute", "placeholder name: set the deployed one"))
    for key, raw in (("vmSize", inner.get("vmSize")), ("minNodes", scale.get("minNodeCount")),
                     ("maxNodes", scale.get("maxNodeCount")),
                     ("idleTimeBeforeScaleDown", scale.get("nodeIdleTimeBeforeScaleDown")),
                     ("priority", inner.get("vmPriority"))):
        value = template.value(raw, f"set computes[0].{key} to the deployed value")
        if value is not None:
            lines.append(L(f"      {key}: {_q(value)}"))
    lines += [
        L("      identity: none", "review: deployed without an identity; systemAssigned lets jobs reach data without keys"),
        L("      disableLocalAuth: false", "review: key-based auth is on as deployed; true refuses it"),
    ]
    password_key = None
    subnet = inner.get("subnet")
    if subnet:
        subnet_id = template.value(subnet.get("id"), "set computes[0].subnetId to the subnet the cluster is in")
        if subnet_id:
            lines.append(L(f"      subnetId: {_q(subnet_id)}"))
        else:
            lines.append(L("      # subnetId: <ARM id of the subnet the cluster was deployed in>",
                           "placeholder in the parameter file: set it, or the adoption would change the subnet"))
    credentials = inner.get("userAccountCredentials")
    if credentials:
        user = template.value(credentials.get("adminUserName"), "set computes[0].ssh.adminUserName to the deployed one")
        password_param = template.param_name(credentials.get("adminUserPassword"))
        # The password is never copied, whatever the parameter holds: drop its placeholder report.
        template.placeholders = [p for p in template.placeholders if p.parameter != password_param]
        password_key = re.sub(r"-(\w)", lambda m: m.group(1).upper(), name or "cluster") + "AdminPassword"
        prefix = "      " if user else "      # "
        lines += [
            L(f"{prefix}ssh:"),
            L(f"{prefix}  adminUserName: {_q(user) if user else '<the deployed admin user>'}"),
            L(f"{prefix}  passwordSecret: {password_key}",
              f"the password is never copied: pulumi config set --secret {password_key} (prompts for it)"),
        ]
    return lines, password_key


def render(conversion: Conversion, source: str, env: str, stack: str) -> str:
    head = [
        f"# {stack}: written by `make adopt` from {source} (parameters.{env}.json): the names and settings",
        "# the legacy ARM templates deployed. Review every `# review:` line, then follow docs/migration.md.",
    ]
    body = []
    for line in conversion.lines:
        body.append(f"{line.text}  # {line.comment}" if line.comment else line.text)
    return "\n".join(head + body) + "\n"


def todo(conversion: Conversion, path: Path, stack: str) -> list[str]:
    steps = [f"Review the '# review:' comments in {path.name}: each keeps a legacy setting a consumer may rely on."]
    steps += [f"Fill in: {p.text()}" for p in conversion.placeholders]
    if conversion.password_key:
        steps.append(
            # Without a value the CLI prompts for it: the password stays out of the shell history.
            f"Store the cluster's admin password (never copied): pulumi config set --secret {conversion.password_key} "
            f"--stack {stack} (it prompts for the value)"
        )
    steps += [
        f"Pin the subscription the import ids name: pulumi config set azure-native:subscriptionId <id> --stack {stack}",
        f"Check the offline plan and its list of changes: make plan STACK={stack}",
        f"Back up, then pulumi preview --stack {stack}: it must show imports and updates only, "
        "zero replacements and zero deletions (docs/migration.md)",
        f"pulumi up --stack {stack}; then remove azureml-infra:adopt from {path.name}",
    ]
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.adopt", description=__doc__.split("\n")[0])
    parser.add_argument("--arm", required=True, type=Path, help="the legacy arm-templates folder")
    parser.add_argument("--env", required=True, help="the legacy environment: its parameters.<env>.json")
    parser.add_argument("--stack", required=True, help="the stack to write: Pulumi.<stack>.yaml")
    parser.add_argument("--rg", help="the resource group they are in (default: mlopsexample-<env>)")
    parser.add_argument("--compute", choices=["plain", "vnet"], help="the compute variant deployed (default: plain)")
    parser.add_argument("--prefix", help="prefix for the resources the legacy templates did not have")
    parser.add_argument("--out-dir", type=Path, default=ROOT, help="where to write the stack file")
    parser.add_argument("--force", action="store_true", help="overwrite an existing stack file")
    args = parser.parse_args(argv)

    path = args.out_dir / f"Pulumi.{args.stack}.yaml"
    try:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", args.stack):
            raise Refused(f"STACK={args.stack!r}: a stack name is letters, digits, '-', '_' and '.'")
        if path.exists() and not args.force:
            raise Refused(f"{path} exists; choose another STACK, or FORCE=1 to overwrite it")
        templates = read_templates(args.arm, args.env, args.compute)
        conversion = convert(templates, args.env, args.rg, args.prefix)
    except Refused as exc:
        print(f"make adopt: {exc}. Nothing was written.", file=sys.stderr)
        return 2
    path.write_text(render(conversion, str(args.arm), args.env, args.stack))
    print(f"Wrote {path} from {args.arm} (environment {args.env}). Still to do:")
    for number, step in enumerate(todo(conversion, path, args.stack), 1):
        print(f"  {number}. {step}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
