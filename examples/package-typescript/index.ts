// The fraud team's Azure ML environment from the azureml-infra package (README, Use from another
// Pulumi program). The inputs are the stack file's sections, in the same spelling, and they are
// checked by the same rules: a bad one fails `pulumi preview` with the stack file's message.
import * as pulumi from "@pulumi/pulumi";
import * as azuremlInfra from "@pulumi/azureml-infra";

const config = new pulumi.Config();

const environment = new azuremlInfra.MlEnvironment("environment", {
    location: "westeurope",
    prefix: "fraud",
    environment: "dev",
    tags: { owner: "fraud-team" },
    workspace: {
        keyVault: { purgeProtection: false, softDeleteRetentionInDays: 7 },
        containerRegistry: { sku: "Basic" },
    },
    computes: [
        {
            name: "cpu-compute", vmSize: "STANDARD_D3_V2", minNodes: 0, maxNodes: 3,
            idleTimeBeforeScaleDown: "PT15M",
            // A password for the cluster's SSH user: the secret's name here, its value in `secrets`.
            ssh: { adminUserName: "azureuser", passwordSecret: "computePassword" },
        },
    ],
    secrets: { computePassword: config.requireSecret("computePassword") },
    budget: {
        amount: 500, startDate: "2027-01-01",
        thresholds: [{ percent: 80 }, { percent: 100 }],
        contactEmails: ["fraud-team@example.com"],
    },
});

export const workspaceName = environment.workspaceName;
export const workspaceId = environment.workspaceId;
export const computes = environment.computes;
