// monitorlift as an Azure Container Apps Job on a cron trigger, running as a user-assigned managed identity.
// Deploy into the resource group of the Container Apps environment:
//   az deployment group create -g RG -f deploy/azure-container-apps/main.bicep \
//     -p environmentId=... image=REGISTRY/monitorlift:0.1.0 workspaceName=... storageAccountName=... \
//        configJson="$(cat deploy/monitorlift.json)"
// The workspace and the storage account are expected in the same resource group (adjust the `existing`
// references' scope otherwise). The job never holds a secret: the identity reads the workspace and writes blobs.

@description('Azure region of the job and the identity.')
param location string = resourceGroup().location

@description('Name of the Container Apps job.')
param jobName string = 'monitorlift'

@description('Resource ID of the Container Apps managed environment.')
param environmentId string

@description('The monitorlift image, built from ./Dockerfile and pushed to your registry.')
param image string = 'monitorlift:0.1.0'

@description('Cron expression of the trigger (UTC).')
param cronExpression string = '*/5 * * * *'

@description('Name of the Log Analytics workspace behind the Application Insights resource.')
param workspaceName string

@description('Storage account (ADLS Gen2 or blob) receiving the export.')
param storageAccountName string

@description('Container (ADLS Gen2: file system) receiving the export.')
param containerName string = 'telemetry'

@description('The monitorlift configuration (deploy/monitorlift.json); mounted read-only at /config/monitorlift.json.')
param configJson string

var logAnalyticsReaderRoleId = '73c42c96-874c-492b-b04d-ab87d138a893'
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${jobName}-identity'
  location: location
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storageAccount
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: containerName
}

// Role 1: read the workspace's data through the query API.
resource workspaceReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, identity.id, logAnalyticsReaderRoleId)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', logAnalyticsReaderRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Role 2: write chunks, cursors, leases and run summaries in the export container (and nothing else).
resource containerWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, identity.id, storageBlobDataContributorRoleId)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource job 'Microsoft.App/jobs@2024-03-01' = {
  name: jobName
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    environmentId: environmentId
    configuration: {
      triggerType: 'Schedule'
      scheduleTriggerConfig: {
        cronExpression: cronExpression
        parallelism: 1
        replicaCompletionCount: 1
      }
      replicaTimeout: 3300
      replicaRetryLimit: 1
      secrets: [
        {
          name: 'monitorlift-config'
          value: configJson
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'monitorlift'
          image: image
          args: [
            'export'
            '--once'
          ]
          env: [
            {
              name: 'MONITORLIFT_CONFIG'
              value: '/config/monitorlift.json'
            }
            {
              name: 'AZURE_CLIENT_ID'
              value: identity.properties.clientId
            }
            {
              name: 'MONITORLIFT_WORKSPACE_ID'
              value: workspace.properties.customerId
            }
            {
              name: 'MONITORLIFT_STORAGE_ACCOUNT_URL'
              value: storageAccount.properties.primaryEndpoints.blob
            }
            {
              name: 'MONITORLIFT_CONTAINER'
              value: containerName
            }
          ]
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          volumeMounts: [
            {
              volumeName: 'config'
              mountPath: '/config'
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'config'
          storageType: 'Secret'
          secrets: [
            {
              secretRef: 'monitorlift-config'
              path: 'monitorlift.json'
            }
          ]
        }
      ]
    }
  }
  dependsOn: [
    workspaceReader
    containerWriter
  ]
}

output identityClientId string = identity.properties.clientId
output jobId string = job.id
