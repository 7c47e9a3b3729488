"""azureml-infra: one Azure Machine Learning environment per stack.

The stack config is parsed and validated as a whole first; an invalid config stops the
program here, before any resource is registered. Then each component gets the part of the
config it needs, as typed arguments.
"""

import pulumi

from azureml_infra.config import load_stack_config
from components.compute import Placement, computes_output, create_computes
from components.datastores import DatastoresArgs, create_datastores, datastores_output
from components.workspace import MachineLearningWorkspace, WorkspaceArgs

config = load_stack_config()
names = config.names()
tags = config.resource_tags()

workspace = MachineLearningWorkspace(
    "workspace",
    WorkspaceArgs(
        location=config.location,
        names=names,
        settings=config.workspace,
        create_resource_group=not config.resource_group.existing,
        protect=config.protect,
        tags=tags,
    ),
)
computes = create_computes(
    config.computes,
    config.compute_instances,
    Placement(workspace.resource_group_name, workspace.workspace_name, config.location, tags),
    parent=workspace,
)
datastores = create_datastores(
    DatastoresArgs(
        datastores=config.datastores,
        data_storage=config.data_storage,
        data_storage_account_name=config.data_storage.account_name(config) if config.data_storage else None,
        workspace_key=names.ml_workspace,
        workspace_resource_group_key=names.resource_group,
        location=config.location,
        protect=config.protect,
        tags=tags,
    ),
    workspace,
    computes,
)

# Stack outputs, camelCase, for downstream ML pipelines (StackReference.get_output).
pulumi.export("resourceGroupName", workspace.resource_group_name)
pulumi.export("location", config.location)
pulumi.export("workspaceName", workspace.workspace_name)
pulumi.export("workspaceId", workspace.workspace_id)
# The workspace's managed identity: what consumers grant access to (as the verified modules export).
pulumi.export("workspacePrincipalId", workspace.principal_id)
pulumi.export("storageAccountName", workspace.storage_account_name)
pulumi.export("keyVaultUri", workspace.key_vault_uri)
pulumi.export("containerRegistryLoginServer", workspace.container_registry_login_server)
pulumi.export("applicationInsightsId", workspace.application_insights_id)
pulumi.export("computes", computes_output(computes))
pulumi.export("datastores", datastores_output(datastores))
