"""azureml-infra: one Azure Machine Learning environment per stack.

The stack config is parsed and validated as a whole first; an invalid config stops the
program here, before any resource is registered.
"""

import pulumi

from azureml_infra.config import load_stack_config
from components.compute import computes_output, create_computes
from components.datastores import create_datastores, datastores_output
from components.workspace import MachineLearningWorkspace, WorkspaceArgs

config = load_stack_config()

workspace = MachineLearningWorkspace("workspace", WorkspaceArgs.from_config(config))
computes = create_computes(config, workspace)
datastores = create_datastores(config, workspace, computes)

# Stack outputs, camelCase, for downstream ML pipelines (StackReference.get_output).
pulumi.export("resourceGroupName", workspace.resource_group_name)
pulumi.export("location", config.location)
pulumi.export("workspaceName", workspace.workspace_name)
pulumi.export("workspaceId", workspace.workspace_id)
pulumi.export("storageAccountName", workspace.storage_account_name)
pulumi.export("keyVaultUri", workspace.key_vault_uri)
pulumi.export("containerRegistryLoginServer", workspace.container_registry_login_server)
pulumi.export("applicationInsightsId", workspace.application_insights_id)
pulumi.export("computes", computes_output(computes))
pulumi.export("datastores", datastores_output(datastores))
